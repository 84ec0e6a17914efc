"""Journey (issue 17, problems): Sipho Dlamini (`responsible`) sees the third fall of ground on
level 8 and raises a problem from the incident page; its facts are carried over and the
incident is linked. The problem's responsible person (his supervisor) starts the
investigation and publishes a workaround: the problem is a known error, and the incident page
shows it with its workaround.

Set-up in Python: the incident is created as the wizard's confirmation creates it, acknowledged.
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
def incident(demo_tenant) -> Incident:
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    made = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG"),
        title="Third fall of ground at Shaft 2, level 8",
        narrative="Another slab fell from the hanging wall by the loading box after the blast.",
        location="Shaft 2, level 8",
        severity=Severity.SEV3,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(minutes=30),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=made)
    return lifecycle.acknowledge_incident(incident=made, actor=people["responsible"])


def test_raise_a_problem_from_an_incident_and_publish_its_workaround(page, screenshot, incident, browser):
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"/incidents/{incident.reference}/")
    page.get_by_test_id("raise-problem-from-incident").click()
    expect(page.get_by_test_id("raised-from")).to_contain_text(incident.reference)
    expect(page.get_by_label("Title")).to_have_value(incident.title)
    screenshot("problems-raise-form")
    page.get_by_role("button", name="Raise the problem").click()

    expect(page.get_by_test_id("problem-status")).to_have_text("logged")
    expect(page.get_by_test_id("linked-incident")).to_contain_text(incident.reference)
    expect(page.get_by_test_id("problem-owner")).to_contain_text("Mining Manager")
    reference = page.get_by_test_id("problem-reference").inner_text().split(" ")[0]

    # The problem's responsible person: the raiser's supervisor, by ARC.
    other = browser.new_context(base_url=page.url.split("/problems/")[0], viewport={"width": 1280, "height": 900})
    supervisor = other.new_page()
    log_in(supervisor, "supervisor", settings.IWMS_DEMO_PASSWORD)
    supervisor.goto(f"/problems/{reference}/")
    supervisor.get_by_test_id("start-investigation").click()
    expect(supervisor.get_by_test_id("problem-status")).to_have_text("under investigation")
    supervisor.get_by_test_id("workaround-toggle").click()
    supervisor.get_by_label("Workaround").fill(
        "Bar down and re-bolt the hanging wall by the loading box after each blast."
    )
    supervisor.get_by_role("button", name="Publish the workaround").click()
    expect(supervisor.get_by_test_id("problem-status")).to_contain_text("known error")
    expect(supervisor.get_by_test_id("timeline")).to_contain_text("knowledge base update")
    supervisor.screenshot(path=str(screenshot("problems-detail").with_name("problems-known-error.png")), full_page=True)
    other.close()

    page.goto(f"/incidents/{incident.reference}/")
    expect(page.get_by_test_id("incident-problem")).to_contain_text("Bar down and re-bolt")
    screenshot("problems-incident-panel")
    page.goto("/problems/?known_errors=on")
    expect(page.get_by_test_id("known-error-badge")).to_be_visible()
    screenshot("problems-list")
