"""`manage.py review_pack`: the result of a pack file or standard input as JSON, and the refusal of
a malformed pack with status 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from workflows.review import review

ROOT = Path(__file__).resolve().parents[3]
PACKS = Path(__file__).resolve().parents[1] / "review_packs"


def run(*args: str, stdin: str | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        original = sys.stdin
        sys.stdin = io.StringIO(stdin)
    try:
        call_command("review_pack", *args, stdout=out, stderr=err)
    finally:
        if stdin is not None:
            sys.stdin = original
    return out.getvalue(), err.getvalue()


def test_prints_the_result_of_a_pack_file(tmp_path, pack):
    pack["steps"][0]["evidence"] = []
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack))
    out, err = run(str(path))
    assert json.loads(out) == review(pack).as_dict()
    assert json.loads(out)["findings"][0]["code"] == "evidence.missing"
    assert out.startswith('{\n  "verdict": "corrections_required"')
    assert err == ""


def test_reads_a_labelled_pack_from_standard_input():
    document = json.loads((PACKS / "fog_clean.json").read_text())
    out, _ = run("-", stdin=json.dumps(document["pack"]))
    assert json.loads(out)["verdict"] == "satisfied"


def test_a_malformed_pack_prints_the_error_and_exits_2(tmp_path, pack):
    pack["steps"][1]["evidence"][0]["kind"] = "video"
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("review_pack", str(path), stdout=out, stderr=err)
    assert exited.value.code == 2
    error = json.loads(err.getvalue())["error"]
    assert error["code"] == "review.pack_invalid"
    assert error["message"].startswith("steps[1].evidence[0].kind: expected one of photo, document")
    assert out.getvalue() == ""


def test_text_that_is_not_json_is_a_malformed_pack():
    with pytest.raises(SystemExit) as exited:
        run("-", stdin="{not json")
    assert exited.value.code == 2


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read the pack"):
        run(str(tmp_path / "absent.json"))


def test_manage_py_exits_2_on_a_malformed_pack(tmp_path):
    path = tmp_path / "pack.json"
    path.write_text(json.dumps({"incident": {}, "steps": []}))
    completed = subprocess.run(
        [sys.executable, "manage.py", "review_pack", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "iwms.settings"},
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert json.loads(completed.stderr) == {
        "error": {"code": "review.pack_invalid", "message": "incident.kind: required key is missing"}
    }
    assert completed.stdout == ""
