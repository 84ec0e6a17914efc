#!/usr/bin/env python
"""Benchmark runner: `python bench/run.py [NAME ...] [--quick] [--strict]`.

Each benchmark runs on data of its own: the runner migrates one scratch database, then gives
every benchmark a copy of it (with DATABASE_URL set, PostgreSQL: `<name>_bench` migrated once
and `<name>_bench_<benchmark>` created from it as a template; otherwise a temporary SQLite
file and a copy per benchmark), runs the benchmark in a process of its own against that copy
and drops the copy afterwards, whether the benchmark passed or failed. No benchmark sees the
tenants, rows or process state (settings, broker, caches) another one left, so they run in any
order and a failing one does not stop the rest. Every figure is printed with the baseline
measured in the same run, the ratio and the target. Never a timed unit test.

A NAME is a module of bench/ (a module with `run(quick) -> list[Result]`) or a dotted module
path (the runner's own tests pass theirs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Result, print_table  # noqa: E402 - after the path above

BENCHMARKS = [
    "ledger_append",
    "category_proposal",
    "report_confirm",
    "review_accuracy",
    "sla_sweep",
    "portal_list",
    "closure_queue",
    "merge_split",
    "assurance_dashboard",
]


def module_name(name: str) -> str:
    return name if "." in name else f"bench.{name}"


def label_of(name: str) -> str:
    """A benchmark's name as a database name can hold it."""
    return "".join(c if c.isalnum() else "_" for c in name.rsplit(".", 1)[-1].lower())


class PostgresCopies:
    """`<db>_bench` migrated once; one `<db>_bench_<benchmark>` copy of it per benchmark."""

    def __init__(self, url: str) -> None:
        self.parts = urlsplit(url)
        self.template = self.parts.path.lstrip("/") + "_bench"
        self.admin_url = urlunsplit(self.parts._replace(path="/postgres"))

    def _execute(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def env_for(self, database: str) -> dict[str, str]:
        return {"DATABASE_URL": urlunsplit(self.parts._replace(path=f"/{database}"))}

    def create_template(self) -> dict[str, str]:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)', f'CREATE DATABASE "{self.template}"')
        return self.env_for(self.template)

    @contextmanager
    def copy(self, name: str) -> Iterator[tuple[str, dict[str, str]]]:
        database = f"{self.template}_{label_of(name)}"
        self._execute(
            f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
            f'CREATE DATABASE "{database}" TEMPLATE "{self.template}"',
        )
        try:
            yield f"postgresql ({database})", self.env_for(database)
        finally:
            self._execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def drop_template(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


class SqliteCopies:
    """A temporary folder with the migrated file and one copy of it per benchmark."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="iwms-bench-"))
        self.template = self.folder / "template.sqlite3"

    def create_template(self) -> dict[str, str]:
        return {"IWMS_SQLITE_PATH": str(self.template)}

    @contextmanager
    def copy(self, name: str) -> Iterator[tuple[str, dict[str, str]]]:
        path = self.folder / f"{label_of(name)}.sqlite3"
        shutil.copyfile(self.template, path)  # the migrating process has closed it: no WAL left
        try:
            yield f"sqlite ({path})", {"IWMS_SQLITE_PATH": str(path)}
        finally:
            for leftover in self.folder.glob(f"{path.name}*"):
                leftover.unlink()

    def drop_template(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _child(arguments: list[str], env: dict[str, str]) -> int:
    """Run this script again in a process of its own with `env` added to the environment."""
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    return subprocess.run(command, env={**os.environ, **env}, cwd=ROOT, check=False).returncode


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iwms.settings")
    os.environ.setdefault("IWMS_EMBEDDED", "1")
    import django

    django.setup()


def run_inside(*, migrate: bool, name: str | None, quick: bool, results_file: str | None) -> int:
    """The child's side: migrate the database it was given, or run one benchmark on it and
    write its results (JSON) to `results_file`."""
    _setup_django()
    from django.db import connections

    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        connections.close_all()  # SQLite folds its write-ahead log back into the file on close
        return 0
    import importlib

    results = importlib.import_module(module_name(name)).run(quick=quick)
    connections.close_all()  # the runner drops the database next
    Path(results_file).write_text(json.dumps([asdict(result) for result in results]))
    return 0


def run_all(names: list[str], *, quick: bool) -> tuple[list[Result], list[str]]:
    """Each benchmark on its own copy of a freshly migrated database: (results, failed names)."""
    url = os.environ.get("DATABASE_URL", "")
    copies = PostgresCopies(url) if url else SqliteCopies()
    results: list[Result] = []
    failed: list[str] = []
    try:
        started = time.perf_counter()
        if _child(["--migrate-only"], copies.create_template()) != 0:
            raise SystemExit("migrating the benchmarks' database failed")
        print(f"migrated the benchmarks' database in {time.perf_counter() - started:.0f} s", flush=True)
        for name in names:
            with copies.copy(name) as (label, env), tempfile.NamedTemporaryFile(suffix=".json") as out:
                print(f"\n=== {name} on {label}", flush=True)
                started = time.perf_counter()
                arguments = ["--only", name, "--results-file", out.name, *(["--quick"] if quick else [])]
                code = _child(arguments, env)
                text = Path(out.name).read_text()
                if code != 0 or not text:
                    failed.append(name)
                    print(f"=== {name} FAILED (exit code {code})", flush=True)
                    continue
                mine = [Result(**fields) for fields in json.loads(text)]
                print_table(mine)  # now, not only at the end: a full run takes a long while
                results += mine
                print(f"=== {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        copies.drop_template()
    return results, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=BENCHMARKS, help=f"benchmarks to run (default: {BENCHMARKS})")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    # The runner's own child processes:
    parser.add_argument("--migrate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    parser.add_argument("--results-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.migrate_only or args.only:
        return run_inside(migrate=args.migrate_only, name=args.only, quick=args.quick, results_file=args.results_file)

    results, failed = run_all(args.names, quick=args.quick)
    print()
    missed = print_table(results)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
        return 1
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
