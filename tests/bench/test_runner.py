"""`bench/run.py` gives each benchmark data of its own: two benchmarks that build the same demo
tenant both run to the end, on SQLite or on PostgreSQL (whichever DATABASE_URL names), and the
runner leaves no database behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
FAKE = "tests.bench.same_tenant"


def _databases_left(url: str) -> list[str]:
    import psycopg

    parts = urlsplit(url)
    prefix = parts.path.lstrip("/") + "_bench"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]).fetchall()
    return [name for (name,) in rows]


def test_each_benchmark_runs_on_its_own_database_and_a_failure_stops_none(tmp_path: Path) -> None:
    """One run (one migration: the costly part): a benchmark that fails, then the same demo
    tenant built twice. Before each benchmark had its own copy, the second build crashed on
    the tenant the first left."""
    env = {k: v for k, v in os.environ.items() if k not in ("IWMS_SQLITE_PATH", "IWMS_BENCH_TOUCHED")}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "bench/run.py", "tests.bench.no_such_module", FAKE, FAKE, "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "FAILED: tests.bench.no_such_module" in output, output
    assert output.count(f"=== {FAKE} done") == 2, output
    final_table = output.rsplit(f"=== {FAKE} done", 1)[1]
    assert final_table.count("demo tenant built") == 2, output
    assert list(tmp_path.iterdir()) == [], "the SQLite copies were not removed"
    if env.get("DATABASE_URL"):
        assert _databases_left(env["DATABASE_URL"]) == [], "a benchmark database was left behind"
