"""The nightly structural check: each finding raised once as an organogram-mismatch incident for
the department head, resolved when a later check no longer finds it; run once a day by beat."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from incidents.choices import SystemReason
from incidents.governance.models import CheckRun, StructuralFinding
from incidents.governance.services.checks import find_problems, run_nightly_checks, run_structural_check
from incidents.governance.tasks import run_organogram_governance
from incidents.models import Incident
from organogram import services as organogram
from organogram.models import Position, PositionAssignment


def _vacate(code: str) -> PositionAssignment:
    assignment = PositionAssignment.objects.get(position__code=code, ends_at__isnull=True)
    return organogram.end_assignment(assignment=assignment, ends_at=timezone.now() - timedelta(minutes=1))


def test_a_vacant_supervisory_level_is_raised_once_and_resolved_when_filled(mine, people):
    _vacate("mine-overseer")
    run_structural_check(tenant=mine, day=date(2026, 12, 3))
    finding = StructuralFinding.objects.get(key=f"vacant-level-{Position.objects.get(code='mine-overseer').pk}")
    incident = Incident.objects.get(reference=finding.incident_reference)
    assert incident.system_reason == SystemReason.ORGANOGRAM_MISMATCH
    assert incident.responsible == people["depthead"]  # heads Mining, above the vacant section head
    assert "Mine Overseer is vacant" in finding.detail
    assert run_structural_check(tenant=mine, day=date(2026, 12, 3)) is None  # once a day
    run_structural_check(tenant=mine, day=date(2026, 12, 4))
    assert StructuralFinding.objects.filter(key=finding.key).count() == 1  # not raised again
    organogram.assign_person(position=Position.objects.get(code="mine-overseer"), person=people["supervisor"])
    later = run_structural_check(tenant=mine, day=date(2026, 12, 5))
    finding.refresh_from_db()
    assert finding.resolved_at is not None and later.resolved >= 1


def test_a_person_whose_chain_ends_early_is_found(mine):
    for code in ("mining-manager", "gm"):
        _vacate(code)
    details = [f.detail for f in find_problems(mine)]
    assert any("Mine Overseer has nobody above them" in d for d in details)


def test_beat_runs_the_governance_task_hourly_and_it_checks_each_tenant_once_a_day(mine):
    task = PeriodicTask.objects.select_related("interval").get(name="organogram-governance")
    assert task.task == "incidents.governance.tasks.run_organogram_governance" and task.interval.every == 3600
    night = timezone.make_aware(datetime(2026, 12, 3, 0, 30))
    assert run_nightly_checks(now=night) == []  # before 01:00 local time
    morning = night + timedelta(hours=2)
    assert [run.organisation for run in run_nightly_checks(now=morning)] == [mine]
    assert run_nightly_checks(now=morning + timedelta(hours=1)) == []
    assert CheckRun.objects.filter(organisation=mine).count() == 1
    result = run_organogram_governance.apply().get()
    assert set(result) == {"verifications_started", "tenants_checked"}
