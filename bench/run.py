#!/usr/bin/env python
"""Benchmark runner: `python bench/run.py [NAME ...] [--quick] [--strict]`.

Runs each benchmark module in bench/ (a module with `run(quick) -> list[Result]`) against a
scratch database it creates and drops: with DATABASE_URL set (PostgreSQL) a database named
`<name>_bench` beside it; otherwise a temporary SQLite file. Every figure is printed with the
baseline measured in the same run, the ratio and the target. Never a timed unit test.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCHMARKS = [
    "ledger_append",
    "category_proposal",
    "report_confirm",
    "review_accuracy",
    "sla_sweep",
    "portal_list",
    "closure_queue",
]


def scratch_database() -> tuple[str, object]:
    """Point Django at a fresh database; return a label and a cleanup callable."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        folder = tempfile.mkdtemp(prefix="iwms-bench-")
        os.environ["IWMS_SQLITE_PATH"] = str(Path(folder) / "bench.sqlite3")
        return f"sqlite ({os.environ['IWMS_SQLITE_PATH']})", lambda: None
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql ({name})", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=BENCHMARKS, help=f"benchmarks to run (default: {BENCHMARKS})")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iwms.settings")
    os.environ.setdefault("IWMS_EMBEDDED", "1")
    label, cleanup = scratch_database()
    import django

    django.setup()
    from django.core.management import call_command

    from bench.results import print_table

    try:
        call_command("migrate", verbosity=0)
        print(f"database: {label}")
        results = []
        for name in args.names:
            module = importlib.import_module(f"bench.{name}")
            results += module.run(quick=args.quick)
        missed = print_table(results)
    finally:
        cleanup()
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
