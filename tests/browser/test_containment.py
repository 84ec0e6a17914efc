"""Journey (issue 13, time): Sipho Dlamini (`responsible`) has barricaded the fall of ground at
Shaft 2. On the incident page he reads what each severity means in his organisation, then
marks the incident contained with a note: the contain deadline shows it stopped, the time to
contain is on the timeline, and the form is gone (it is marked once).

Set-up in Python: the incident is created as the wizard's confirmation creates it, with its
workflow, and acknowledged.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.models import Category, Incident
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import log_in


@pytest.fixture
def acknowledged(demo_tenant) -> Incident:
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    incident = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG"),
        title="Fall of ground at Shaft 2, level 8",
        narrative="A slab of about two by one metres fell from the hanging wall next to the loading box; "
        "nobody was injured and the shift boss is barricading both access ways.",
        location="Shaft 2, level 8",
        severity=Severity.SEV2,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(minutes=15),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def test_responsible_person_marks_the_incident_contained(page, screenshot, acknowledged):
    incident = acknowledged
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"/incidents/{incident.reference}/")
    expect(page.get_by_test_id("incident-reference")).to_contain_text(incident.reference)

    # The mine's own wording of the severities, beside the change-severity form.
    definitions = page.get_by_test_id("severity-definitions")
    definitions.locator("summary").click()
    expect(definitions).to_contain_text("loss of life or serious injury")

    panel = page.get_by_test_id("containment-panel")
    panel.get_by_label("How was it contained?").fill("ok")
    panel.get_by_test_id("mark-contained").click()
    expect(page.get_by_test_id("containment-panel")).to_contain_text("at least 10 characters")
    page.get_by_test_id("containment-panel").get_by_label("How was it contained?").fill(
        "Both access ways barricaded and the crew withdrawn to the waiting place."
    )
    page.get_by_test_id("containment-panel").get_by_test_id("mark-contained").click()
    expect(page.get_by_test_id("contained")).to_contain_text("Marked contained")
    contain_row = page.locator("[data-clock='contain']")
    expect(contain_row).to_contain_text("contained")
    expect(page.get_by_test_id("contained-at")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("Marked contained after")
    screenshot("containment-marked")

    incident.refresh_from_db()
    assert incident.contained_at is not None
    page.reload()
    expect(page.get_by_test_id("mark-contained")).to_have_count(0)
    expect(page.get_by_test_id("contained")).to_contain_text("Contained")
