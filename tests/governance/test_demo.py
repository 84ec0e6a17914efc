"""The demo tenant's organogram governance, as `seed_demo` adds it."""

from incidents.governance.demo import seed_governance_demo
from incidents.governance.models import HrEvent, StructuralFinding, Verification
from incidents.models import Incident


def test_the_demo_shows_a_verification_a_transfer_and_a_finding(mine, people):
    lines = seed_governance_demo(tenant=mine)
    assert len(lines) == 3
    verification = Verification.objects.get(unit__code="mining")
    assert Incident.objects.get(pk=verification.incident_id).responsible == people["depthead"]
    transfer = HrEvent.objects.get(external_id="HR-DEMO-0001")
    assert transfer.status == "applied" and transfer.position.code == "plant-asst-supervisor"
    finding = StructuralFinding.objects.get(key__startswith="vacant-level-")
    assert "Shift Boss, Shift B" in finding.detail
    assert seed_governance_demo(tenant=mine) == []
