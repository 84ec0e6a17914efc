"""Journey (issue 13): after an organogram mismatch on a SEV-2 incident pending closure, the
department head re-routes it from the mismatch incident's page; responsibility does not move
until the new responsible person, Kagiso Mokoena, accepts the hand-off on "my items"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from arc.choices import DelegationStatus
from arc.models import Delegation
from incidents.choices import IncidentStatus, Severity
from incidents.closure.services import mismatches
from incidents.core import lifecycle
from incidents.models import Incident
from iwms.models import User
from organogram.models import Position, PositionAssignment
from organogram.services import assign_person, end_assignment
from tests.browser.test_closure_queue import pending_fall
from tests.browser.test_work_page import sign_in, sign_out


@pytest.fixture(autouse=True)
def _rules_only_review(settings) -> None:
    settings.IWMS_REVIEW_LLM_URL = ""


@pytest.fixture
def corrected(demo_tenant) -> tuple[Incident, Incident]:
    """A SEV-2 fall of ground pending closure, its organogram mismatch acknowledged by the
    department head, and the structure corrected: Thabo, the reporter, now works on Shift B."""
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    incident = pending_fall(
        demo_tenant,
        people,
        "Fall of ground at the level 8 loading box",
        "Shaft 2, level 8",
        "next to the loading box",
        Severity.SEV2,
    )
    mismatch = mismatches.report_organogram_mismatch(
        incident=incident, actor=people["supervisor"], note="Thabo works on Shift B now; the line is out of date."
    ).spawned_incident
    lifecycle.acknowledge_incident(incident=mismatch, actor=people["depthead"])
    thabo = people["reporter"]
    for assignment in PositionAssignment.objects.filter(ends_at__isnull=True, person__in=[thabo, people["bzulu"]]):
        end_assignment(assignment=assignment, ends_at=timezone.now() - timedelta(seconds=2))
    assign_person(
        position=Position.objects.get(organisation=demo_tenant, code="miner-b1"),
        person=thabo,
        starts_at=timezone.now() - timedelta(seconds=1),
    )
    return incident, mismatch


def test_a_sev2_reroute_waits_until_the_new_responsible_person_accepts(page, corrected, screenshot):
    incident, mismatch = corrected
    sign_in(page, "depthead", "Nomvula Khumalo")
    page.goto(f"/incidents/{mismatch.reference}/")
    page.get_by_test_id("reroute").click()
    expect(page.get_by_text("takes effect when they accept")).to_be_visible()
    screenshot("reroute-1-proposed")
    assert Incident.objects.get(pk=incident.pk).responsible.username == "responsible"
    sign_out(page)

    sign_in(page, "kmokoena", "Kagiso Mokoena")
    page.get_by_role("link", name="My items").click()
    handoff = page.get_by_test_id("handoff")
    expect(handoff).to_contain_text(incident.reference)
    screenshot("reroute-2-waiting")
    handoff.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Hand-off accepted.")).to_be_visible()
    moved = Incident.objects.get(pk=incident.pk)
    assert moved.responsible.username == "kmokoena" and moved.status == IncidentStatus.PENDING_CLOSURE
    assert Delegation.objects.get(subject_id=str(incident.pk)).status == DelegationStatus.ACCEPTED
