"""The SLA sweep at volume: 10,000 due incidents among 100,000 and then 1,000,000 open ones
(PostgreSQL; 1,000 among 10,000 and 100,000 on SQLite or with --quick), timed with the
statements it sends. Target: ≤ 5 s for the 10,000 on PostgreSQL, and a cost that follows
the due rows, not the open ones.

What is due (incidents.demo.volume.DUE_MIX): 40 % acknowledge warnings, 30 % acknowledge
breaches, 20 % contain warnings, 9 % contain breaches, and 1 % missed resolve deadlines, each
of which escalates: a failure-to-complete incident with its workflow for the supervisor.
Every warning and breach is notified (owner, responsible, supervisor; a mitigation request
on SEV-1/SEV-2 warnings), audited, and its e-mails queued on the broker (an in-memory one
here: sending them is the e-mail task's work, not the sweep's).

Same-run baseline: one plain-SQL statement selecting the due ids through the same index
(`SELECT id … WHERE next_clock_at <= now ORDER BY next_clock_at`): the least any sweep must do.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.results import Result
from incidents.choices import IncidentStatus
from incidents.demo.volume import create_incidents, create_people, make_due, volume_tenant
from incidents.models import Escalation, Incident
from incidents.sla.services.sweep import SweepReport, sweep_due
from iwms.audit import verify_chain
from iwms.celery import app as celery_app

TARGET_SECONDS = 5.0


class StatementCounter:
    """Counts the statements Django sends (cheaper than capturing their SQL)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting():
    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        yield counter


def _server_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend so far, when the server runs on this
    machine (read from /proc); None otherwise."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_seconds():
    """CPU seconds spent by this process and by its database backend in the block: on a
    shared machine the wall time also counts what other processes did meanwhile."""
    spent = {}
    server, client = _server_cpu_seconds(), time.process_time()
    yield spent
    spent["client"] = time.process_time() - client
    after = _server_cpu_seconds()
    spent["server"] = after - server if after is not None and server is not None else None


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incidents_incident")


def _settle() -> None:
    """After bulk seeding, let PostgreSQL do what a live database has long done: vacuum (hint
    bits, visibility map) and write the seeded pages out, so the measured sweep does not pay
    for the seeding or race autovacuum and the checkpointer."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) incidents_incident")
        cursor.execute("CHECKPOINT")


def _open_count(tenant) -> int:
    return Incident.objects.for_tenant(tenant).exclude(status=IncidentStatus.CLOSED).count()


def _grow(tenant, open_total: int) -> None:
    missing = open_total - _open_count(tenant)
    if missing > 0:
        started = time.perf_counter()
        create_incidents(tenant=tenant, count=missing, open_only=True)
        print(f"  seeded {missing:,} open incidents in {time.perf_counter() - started:.0f} s")
        _settle()
    _analyze()


def _select_due_ids(at) -> tuple[int, float]:
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("SELECT id FROM incidents_incident WHERE next_clock_at <= %s ORDER BY next_clock_at, id", [at])
        rows = cursor.fetchall()
        return len(rows), time.perf_counter() - started


def _sweep(tenant, due: int) -> tuple[SweepReport, float, int, float, dict[str, int], dict[str, float | None]]:
    at = timezone.now()
    mix = make_due(tenant=tenant, count=due, at=at)
    _analyze()
    selected, baseline_seconds = _select_due_ids(at)
    assert selected == due, f"{selected} due rows, expected {due}"
    with cpu_seconds() as cpu, counting() as statements:
        started = time.perf_counter()
        report = sweep_due(now=at)
        seconds = time.perf_counter() - started
    assert report.incidents == due and report.failures == 0, report
    assert not Incident.objects.filter(next_clock_at__lte=at).exists(), "due rows left after the sweep"
    # Set aside what this sweep touched (their next clocks are minutes to hours away, the other
    # volume incidents' a day or more), so the next measurement starts from the same state.
    Incident.objects.for_tenant(tenant).filter(next_clock_at__lte=at + timedelta(hours=12)).update(
        status=IncidentStatus.CLOSED, next_clock_at=None
    )
    return report, seconds, statements.count, baseline_seconds, mix, cpu


def _cpu_text(cpu: dict[str, float | None]) -> str:
    server = f" + {cpu['server']:.2f} s PostgreSQL backend" if cpu.get("server") is not None else ""
    return f"CPU {cpu['client']:.2f} s sweeping process{server}"


def run(*, quick: bool = False) -> list[Result]:
    postgres = connection.vendor == "postgresql"
    small, large, due = (100_000, 1_000_000, 10_000) if postgres and not quick else (10_000, 100_000, 1_000)
    # E-mails are queued, not sent, during the sweep: an in-memory broker keeps them off disk.
    celery_app.conf.broker_url = "memory://"
    celery_app.conf.broker_transport_options = {}
    tenant = volume_tenant("sweep")
    create_people(tenant=tenant, count=2_000, password=settings.IWMS_DEMO_PASSWORD)
    call_command("load_workflow_templates", tenant=tenant.slug, verbosity=0)

    _grow(tenant, small)
    _sweep(tenant, 50)  # warm-up: first use of templates, URL resolvers, statement plans

    results, figures = [], []
    for open_total in (small, large):
        _grow(tenant, open_total)
        report, seconds, statements, baseline, mix, cpu = _sweep(tenant, due)
        figures.append((open_total, seconds, statements))
        verdict = ""
        if postgres and (open_total, due) == (1_000_000, 10_000):
            verdict = f"; target ≤ {TARGET_SECONDS:.0f} s: {'PASS' if seconds <= TARGET_SECONDS else 'FAIL'}"
        print(
            f"  sweep, {due:,} due of {open_total:,} open: {seconds:.2f} s, {statements:,} statements, "
            f"{report.batches} batches, {report.warnings:,} warnings, {report.breaches:,} breaches, "
            f"{report.escalations} escalations taking {report.escalation_seconds:.2f} s (mix {mix}); "
            f"plain SQL select of the due ids {baseline * 1000:.0f} ms; {_cpu_text(cpu)}"
            f"{verdict}"
        )
        results.append(
            Result(
                f"SLA sweep, {due // 1000}k due of {open_total // 1000:,}k open",
                "/s",
                due / seconds,
                due / baseline,
                note=f"{seconds:.2f} s, {statements:,} statements{verdict} ({connection.vendor})",
            )
        )
    (small_open, small_s, small_q), (large_open, large_s, large_q) = figures
    print(
        f"  growth from {small_open:,} to {large_open:,} open ({large_open // small_open}×) with the same {due:,} due: "
        f"time ×{large_s / small_s:.2f}, statements ×{large_q / small_q:.2f}"
    )
    escalated = Escalation.objects.filter(incident__organisation=tenant).count()
    report = verify_chain(tenant)
    assert report.ok, f"chain broken: {report.broken}"
    print(f"  {escalated} escalations in all; the tenant's ledger verifies ({report.events:,} events)")
    return results
