"""Beat's organogram governance: every hour (see `IWMS_GOVERNANCE_INTERVAL_SECONDS`) start the
month's verifications on its first working day and run each tenant's nightly structural check
once a day; both are idempotent, so a late or repeated run changes nothing."""

from __future__ import annotations

from celery import shared_task

from governance.services.checks import run_nightly_checks
from governance.services.verification import start_monthly_verifications


@shared_task(name="governance.tasks.run_organogram_governance", acks_late=True, reject_on_worker_lost=True)
def run_organogram_governance() -> dict[str, int]:
    started = start_monthly_verifications()
    checked = run_nightly_checks()
    return {"verifications_started": len(started), "tenants_checked": len(checked)}
