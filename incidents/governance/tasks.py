"""Beat's organogram governance: every hour (see `IWMS_GOVERNANCE_INTERVAL_SECONDS`) start the
month's verifications on its first working day and run each tenant's nightly structural check
once a day; both are idempotent, so a late or repeated run changes nothing."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.governance.services.checks import run_nightly_checks
from incidents.governance.services.verification import start_monthly_verifications


@shared_task(name="incidents.governance.tasks.run_organogram_governance", acks_late=True, reject_on_worker_lost=True)
def run_organogram_governance(at: str | None = None) -> dict[str, int]:
    """`at` (ISO 8601, for drills and tests) stands for now."""
    now = parse_datetime(at) if at else timezone.now()
    started = start_monthly_verifications(today=timezone.localdate(now))
    checked = run_nightly_checks(now=now)
    return {"verifications_started": len(started), "tenants_checked": len(checked)}
