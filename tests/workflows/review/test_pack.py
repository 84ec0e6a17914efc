"""Reading a review pack: what it must hold, the JSON path named when it does not, and the digest
that identifies what was judged."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime

import pytest

from workflows.review import ENGINE, VERSION, PackError, review


def test_a_clean_pack_is_satisfied_with_no_findings(pack):
    result = review(pack)
    assert result.verdict == "satisfied"
    assert result.findings == []
    assert result.engine == ENGINE == "iwms-rules"
    assert result.version == VERSION


def test_as_dict_holds_verdict_findings_engine_version_and_digest(pack):
    pack["steps"][0]["evidence"] = []
    result = review(pack).as_dict()
    assert set(result) == {"verdict", "findings", "engine", "version", "input_digest"}
    assert result["verdict"] == "corrections_required"
    assert result["findings"] == [
        {
            "code": "evidence.missing",
            "step": "make_safe",
            "message": "Step 1 'Barricade and make safe' is completed without a photo. "
            "Add a photo to step 1 'Barricade and make safe'.",
        }
    ]


def test_input_digest_is_sha256_of_canonical_json(pack):
    canonical = json.dumps(pack, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert review(pack).input_digest == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_input_digest_ignores_key_order_but_not_content(pack):
    reordered = copy.deepcopy(dict(reversed(list(pack.items()))))
    reordered["incident"] = dict(reversed(list(reordered["incident"].items())))
    assert review(reordered).input_digest == review(pack).input_digest
    pack["incident"]["narrative"] += " "
    assert review(pack).input_digest != review(reordered).input_digest


def test_unknown_keys_are_ignored(pack):
    pack["schema"] = 2
    pack["incident"]["reference"] = "INC-2025-0042"
    pack["steps"][0]["evidence"][0]["thumbnail"] = {"width": 320}
    assert review(pack).verdict == "satisfied"


def test_optional_keys_may_be_absent(pack):
    del pack["known_hashes"]
    del pack["incident"]["submitted_at"]
    step = pack["steps"][2]
    for key in ("justification", "subworkflow_open", "evidence", "required_evidence"):
        del step[key]
    assert review(pack, now=datetime.fromisoformat("2025-03-12T15:00:00+02:00")).verdict == "satisfied"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda p: p.update(steps="none"), "steps: expected a list, got the string 'none'"),
        (lambda p: p.pop("incident"), "incident: required key is missing"),
        (lambda p: p["incident"].pop("occurred_at"), "incident.occurred_at: required key is missing"),
        (
            lambda p: p["incident"].update(reported_at="yesterday"),
            "incident.reported_at: expected an ISO 8601 time, got the string 'yesterday'",
        ),
        (lambda p: p["incident"].update(narrative=None), "incident.narrative: expected a string, got null"),
        (
            lambda p: p["incident"]["pole"][1].update(type="witness"),
            "incident.pole[1].type: expected one of person, object, location, event; got the string 'witness'",
        ),
        (lambda p: p["steps"][0].update(mandatory="yes"), "steps[0].mandatory: expected true or false"),
        (
            lambda p: p["steps"][1]["evidence"][0].update(kind="video"),
            "steps[1].evidence[0].kind: expected one of photo, document, narrative, measurement, sign_off, "
            "external_reference; got the string 'video'",
        ),
        (lambda p: p["steps"][0].update(required_evidence=["photo", 3]), "steps[0].required_evidence[1]: expected"),
        (lambda p: p["steps"][0]["evidence"][0].update(sha256="abc"), "steps[0].evidence[0].sha256: expected 64"),
        (lambda p: p["steps"][2].update(key="make_safe"), "steps[2].key: duplicate step key 'make_safe'"),
        (lambda p: p["steps"][1].update(status="done"), "steps[1].status: expected one of pending, in_progress"),
        (lambda p: p.update(known_hashes=[42]), "known_hashes[0]: expected 64 hexadecimal characters"),
    ],
)
def test_a_malformed_pack_raises_pack_error_naming_the_path(pack, breakage, message):
    breakage(pack)
    with pytest.raises(PackError) as raised:
        review(pack)
    assert str(raised.value).startswith(message)
    assert isinstance(raised.value, ValueError)


def test_a_pack_that_is_not_an_object_is_refused():
    with pytest.raises(PackError, match=r"^pack: expected an object, got a list"):
        review([])


def test_a_value_json_cannot_represent_is_refused(pack):
    pack["extra"] = float("nan")
    with pytest.raises(PackError, match=r"^pack: not representable as JSON"):
        review(pack)


def test_a_naive_time_is_taken_as_utc(pack):
    # 08:20 UTC is 10:20 in South Africa: a photo at 09:50 SAST predates the fall by half an hour.
    pack["incident"]["occurred_at"] = "2025-03-11T08:20:00"
    pack["steps"][0]["evidence"][0]["collected_at"] = "2025-03-11T09:50:00+02:00"
    assert [f.code for f in review(pack).findings] == ["time.inconsistent"]
    pack["incident"]["occurred_at"] = "2025-03-11T07:00:00"
    assert review(pack).findings == []


def test_upper_case_digests_match_lower_case_ones(pack):
    photo = pack["steps"][0]["evidence"][0]
    pack["known_hashes"] = [photo["sha256"].upper()]
    assert [f.code for f in review(pack).findings] == ["evidence.duplicate"]
