"""Journey (issue 5, escalation): a fall of ground at Shaft 2 that Sipho Dlamini did not
complete in time escalated to his supervisor, Pieter Botha, whose failure-to-complete
incident went overdue too; it has now escalated to the department head, Nomvula Khumalo
(`depthead`). She sees the unread count in the header, opens the escalation from her inbox,
and acknowledges it on the escalations page; the lag is recorded.

Set-up in Python: the incident is created as the wizard's confirmation creates it, and the
SLA sweep runs twice with the clock moved past each resolve deadline (time-machine). The
browser session runs a few minutes after the second sweep, on the same moved clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, SystemReason, TimeSensitivity
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.models import Category, Escalation, Incident
from incidents.sla.services.sweep import sweep_due
from iwms.models import Notification, User
from organogram.models import Position
from tests.browser.conftest import log_in


@pytest.fixture
def escalated_twice(demo_tenant) -> Escalation:
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    incident = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG"),
        title="Fall of ground at Shaft 2, level 8",
        narrative="A slab of about two by one metres fell from the hanging wall next to the loading box; "
        "nobody was injured and the shift boss barricaded both access ways.",
        location="Shaft 2, level 8",
        severity=Severity.SEV1,
        risk_level=RiskLevel.CRITICAL,
        time_sensitivity=TimeSensitivity.IMMEDIATE,
        occurred_at=timezone.now() - timedelta(minutes=15),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=incident)
    with time_machine.travel(incident.resolve_due_at + timedelta(seconds=30), tick=False):
        sweep_due()
    supervisors_item = Incident.objects.get(parent=incident, system_reason=SystemReason.OVERDUE)
    with time_machine.travel(supervisors_item.resolve_due_at + timedelta(seconds=30), tick=False):
        sweep_due()
    return Escalation.objects.get(incident=supervisors_item, level=2)


def test_department_head_acknowledges_an_escalation_from_her_inbox(page, screenshot, escalated_twice):
    escalation = escalated_twice
    depthead = User.objects.get(username="depthead")
    assert escalation.to_person == depthead
    with time_machine.travel(escalation.escalated_at + timedelta(minutes=4), tick=True):
        log_in(page, "depthead", settings.IWMS_DEMO_PASSWORD)
        expect(page.get_by_test_id("signed-in-as")).to_have_text("Nomvula Khumalo")
        unread = Notification.objects.filter(recipient=depthead, read_at__isnull=True).count()
        assert unread >= 3
        expect(page.get_by_test_id("unread-count")).to_have_text(str(unread))

        page.get_by_test_id("inbox-link").click()
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        note = page.locator("[data-event='escalation.raised']", has_text="Escalated to you (level 2)")
        expect(note).to_have_count(1)
        screenshot("escalation-0-notifications")
        note.get_by_role("link", name="Open").click()

        expect(page.get_by_role("heading", name="Escalations to you")).to_be_visible()
        expect(page.get_by_test_id("escalation-summary")).to_have_text("1 waiting for your acknowledgement")
        row = page.get_by_test_id("escalation")
        expect(row).to_contain_text("Level 2")
        expect(row).to_contain_text(escalation.incident.reference)
        expect(row.get_by_test_id("failure-to-complete")).to_be_visible()
        expect(page.get_by_test_id("unread-count")).to_have_text(str(unread - 1))
        screenshot("escalation-1-inbox")

        row.get_by_role("button", name="Acknowledge").click()
        expect(row.get_by_test_id("acknowledged")).to_contain_text("by Nomvula Khumalo")
        expect(row.get_by_test_id("acknowledged")).to_contain_text("4 min after the escalation")
        expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
        expect(page.get_by_test_id("escalation-summary")).to_have_text("Nothing waiting for acknowledgement")
        screenshot("escalation-2-acknowledged")

    stored = Escalation.objects.get(pk=escalation.pk)
    assert stored.acknowledged_by == depthead
    assert timedelta(minutes=4) <= stored.ack_lag < timedelta(minutes=6)
    failure = Incident.objects.get(source_reference=f"escalation:{escalation.pk}")
    assert failure.responsible == depthead and failure.status == "in_progress"
