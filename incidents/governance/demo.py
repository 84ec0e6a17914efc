"""The demo tenant's organogram governance: the month's verification for the mining department
head, an HR transfer that left a shift boss position vacant, and the structural finding the
nightly check raises about it."""

from __future__ import annotations

from django.utils import timezone

from incidents.governance.models import HrEvent, Verification
from incidents.governance.services.checks import run_structural_check
from incidents.governance.services.hr_events import receive_hr_event
from incidents.governance.services.verification import start_verification
from iwms.models import Organisation
from organogram.models import OrgUnit

DEMO_TRANSFER = "HR-DEMO-0001"


def seed_governance_demo(*, tenant: Organisation) -> list[str]:
    """Idempotent; returns a line per thing created."""
    created: list[str] = []
    mining = OrgUnit.objects.for_tenant(tenant).filter(code="mining").first()
    if mining is None:
        return created
    if not Verification.objects.filter(unit=mining).exists():
        verification = start_verification(unit=mining, period=timezone.localdate())
        if verification is not None:
            created.append(
                f"organogram verification {verification.incident_reference} for the mining department head "
                "('depthead': /organogram/units/mining/)"
            )
    if not HrEvent.objects.filter(organisation=tenant, external_id=DEMO_TRANSFER).exists():
        event = receive_hr_event(
            tenant=tenant,
            payload={
                "kind": "transfer",
                "person": "kmokoena",
                "position": "plant-asst-supervisor",
                "event_id": DEMO_TRANSFER,
                "note": "Moves to the processing plant.",
            },
            received_via="api",
            actor="hr-system",
        )
        created.append(f"HR transfer {event.external_id} ({event.status}; 'admin': /organogram/hr-events/)")
        run = run_structural_check(tenant=tenant)
        if run is not None and run.found:
            created.append(f"structural check: {run.found} finding(s) (/organogram/findings/)")
    return created
