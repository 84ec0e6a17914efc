"""The SLA sweep through a real Celery worker and beat on the configured broker (Redis in CI):
incidents whose deadlines passed escalate exactly once, even when the worker is killed with
SIGKILL in the middle of a sweep batch and started again. Skipped unless IWMS_REAL_WORKER=1.

Beat runs with django-celery-beat's database scheduler, as deployed, and sends the sweep every
2 s here (IWMS_SWEEP_INTERVAL_SECONDS, which beat writes into the sweep's PeriodicTask row), and each batch of 3
incidents is held open 1.5 s (IWMS_SWEEP_TEST_DELAY_MS, a test-only setting) so the kill
lands inside a batch's transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from incidents.choices import ClockKind, IncidentKind, RiskLevel, Severity, Source, SystemReason, TimeSensitivity
from incidents.core.lifecycle import create_incident
from incidents.demo.builder import build_demo_tenant
from incidents.models import Breach, Category, Escalation, Incident, MaturitySignal
from iwms.audit import verify_chain
from iwms.models import Notification, User
from organogram.models import Position
from tests.integration.test_real_worker import worker_environment

pytestmark = [
    pytest.mark.skipif(os.environ.get("IWMS_REAL_WORKER") != "1", reason="set IWMS_REAL_WORKER=1 to run"),
    pytest.mark.django_db(transaction=True),
]

LATE = 12
CELERY = [sys.executable, "-m", "celery", "-A", "iwms"]


def sweep_environment() -> dict[str, str]:
    return {
        **worker_environment(),
        "IWMS_SWEEP_INTERVAL_SECONDS": "2",
        "IWMS_SWEEP_BATCH_SIZE": "3",
        "IWMS_SWEEP_TEST_DELAY_MS": "1500",
        "CELERY_VISIBILITY_TIMEOUT": "10",
    }


def start_worker(name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CELERY, "worker", "--pool=solo", "--loglevel=WARNING", f"--hostname={name}-{os.getpid()}@%h"],
        cwd=Path(settings.BASE_DIR),
        env=sweep_environment(),
    )


def start_beat() -> subprocess.Popen:
    """Beat as deployed: django-celery-beat's database scheduler, which brings the sweep's
    PeriodicTask row in step with this environment's 2-second interval when it starts."""
    return subprocess.Popen(
        [
            *CELERY,
            "beat",
            "--loglevel=WARNING",
            "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
            "--pidfile=",
        ],
        cwd=Path(settings.BASE_DIR),
        env=sweep_environment(),
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition, *, timeout: float, processes: list[subprocess.Popen], what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, f"{process.args[4]} exited early with code {process.returncode}"
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def late_incidents(tenant) -> list[Incident]:
    """SEV-1 falls of ground reported two hours ago: every deadline has passed."""
    people = {u.username: u for u in User.objects.filter(organisation=tenant)}
    incidents = [
        create_incident(
            tenant=tenant,
            kind=IncidentKind.INCIDENT,
            source=Source.MANUAL,
            category=Category.objects.get(organisation=tenant, code="SAF.GEO.FOG"),
            title=f"Fall of ground at Shaft 2, level {n}",
            narrative="A slab fell from the hanging wall near the loading box; the area was barricaded.",
            location=f"Shaft 2, level {n}",
            severity=Severity.SEV1,
            risk_level=RiskLevel.HIGH,
            time_sensitivity=TimeSensitivity.URGENT,
            occurred_at=timezone.now() - timedelta(minutes=5),
            owner=people["depthead"],
            owner_position=Position.objects.get(organisation=tenant, code="mining-manager"),
            responsible=people["responsible"],
            reporter=people["reporter"],
        )
        for n in range(LATE)
    ]
    now = timezone.now()
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(
        reported_at=now - timedelta(hours=2),
        occurred_at=now - timedelta(hours=2, minutes=10),
        ack_due_at=now - timedelta(minutes=115),
        contain_due_at=now - timedelta(minutes=85),
        resolve_due_at=now - timedelta(minutes=60),
        next_clock_at=now - timedelta(minutes=115),
    )
    return incidents


def test_worker_and_beat_escalate_exactly_once_across_a_sigkill_mid_sweep():
    mine = build_demo_tenant(password="pw-demo-12345")
    ids = [i.pk for i in late_incidents(mine)]
    escalated = Escalation.objects.filter(incident_id__in=ids)
    beat = start_beat()
    worker = start_worker("sweep-a")
    restarted = None
    try:
        wait_for(lambda: escalated.exists(), timeout=90, processes=[beat, worker], what="the first batch to commit")
        worker.send_signal(signal.SIGKILL)  # most likely inside the next batch's 1.5 s transaction
        worker.wait(timeout=10)
        done_before_kill = escalated.count()
        assert 0 < done_before_kill < LATE, "the kill must leave work undone"

        restarted = start_worker("sweep-b")
        wait_for(
            lambda: escalated.count() == LATE,
            timeout=120,
            processes=[beat, restarted],
            what="every late incident to escalate after the restart",
        )
        time.sleep(6)  # a few more beat ticks: nothing may happen twice
    finally:
        stop(beat)
        stop(worker)
        if restarted is not None:
            stop(restarted)

    sweep_task = PeriodicTask.objects.select_related("interval").get(name="sla-sweep")
    assert sweep_task.task == "incidents.tasks.sweep_sla_clocks" and sweep_task.interval.every == 2
    per_incident = Breach.objects.filter(incident_id__in=ids).values("incident_id", "clock").annotate(n=Count("id"))
    assert {(row["clock"], row["n"]) for row in per_incident} == {
        (ClockKind.ACKNOWLEDGE, 1),
        (ClockKind.CONTAIN, 1),
        (ClockKind.RESOLVE, 1),
    }
    assert len(per_incident) == 3 * LATE
    assert escalated.count() == LATE and set(escalated.values_list("level", flat=True)) == {1}
    failures = Incident.objects.filter(parent_id__in=ids, system_reason=SystemReason.OVERDUE)
    assert failures.count() == LATE and failures.values("parent_id").distinct().count() == LATE
    assert Notification.objects.filter(event="escalation.raised", recipient__username="supervisor").count() == LATE
    assert not MaturitySignal.objects.exists()
    assert set(Incident.objects.filter(pk__in=ids).values_list("escalation_level", flat=True)) == {1}
    assert verify_chain(mine).ok
