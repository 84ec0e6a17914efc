"""The demo's major incident has what the issue asks of it."""

from __future__ import annotations

from incidents.response.choices import ReviewStatus, RoleKind
from incidents.response.demo import seed_major_incident
from incidents.response.models import Communication, UpdateLapse
from incidents.response.selectors import roles_on


def test_the_demo_sev1_has_a_commander_updates_a_late_one_and_a_review_in_progress(mine):
    incident = seed_major_incident(tenant=mine)
    holders = {r["code"]: r["holder"].holder.username for r in roles_on(incident) if r["holder"]}
    assert holders[RoleKind.COMMANDER] == "supervisor"
    assert Communication.objects.filter(incident=incident).count() == 2
    assert UpdateLapse.objects.filter(incident=incident).count() == 1
    pir = incident.post_incident_review
    assert pir.status == ReviewStatus.DRAFT and pir.action_items.count() == 2
    assert seed_major_incident(tenant=mine) is None
