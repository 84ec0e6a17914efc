"""Journey (issue 16): a SEV-1 hoist rope failure. The owner, Nomvula Khumalo (`depthead`),
sees on the incident page that a commander is missing and designates the mine overseer as
commander and Kagiso Mokoena as communications lead; Kagiso sends a technical update from its
template to the affected staff; the commander records the resolution, writes the blameless
review (a name in it is flagged), adds an action item and submits it; the incident's owner
sees closure waiting for the review.

Set-up in Python: the demo tenant adopts major-incident response; the incident is created as
the wizard creates it, with its workflow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.models import Category, Incident
from incidents.response.choices import GroupKind
from incidents.response.models import Communication, RecipientGroup
from incidents.response.services.configuration import adopt_response
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import log_in

PASSWORD = settings.IWMS_DEMO_PASSWORD


@pytest.fixture
def sev1(demo_tenant) -> Incident:
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    adopt_response(
        tenant=demo_tenant, actor="test", executives=list(Position.objects.filter(organisation=demo_tenant, code="gm"))
    )
    RecipientGroup.objects.get(organisation=demo_tenant, kind=GroupKind.AFFECTED_STAFF).members.set(
        [people["reporter"]]
    )
    incident = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG"),
        title="Hoist rope failure at Shaft 2",
        narrative="The rock hoist's rope parted at the drum; the skip fell to the shaft bottom. Nobody was hurt.",
        location="Shaft 2 headgear",
        severity=Severity.SEV1,
        risk_level=RiskLevel.CRITICAL,
        time_sensitivity=TimeSensitivity.IMMEDIATE,
        occurred_at=timezone.now() - timedelta(minutes=30),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=incident)
    return incident


def _as(page, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, username, PASSWORD)


def test_a_sev1_runs_with_roles_updates_and_a_blameless_review(page, sev1, screenshot):
    ref = sev1.reference
    _as(page, "depthead")
    page.goto(f"/incidents/{ref}/")
    expect(page.get_by_test_id("commander-missing")).to_be_visible()
    page.get_by_test_id("open-response").click()
    page.get_by_text("Designate or hand over a role").click()
    page.get_by_label("Role", exact=True).select_option("commander")
    page.get_by_label("Person", exact=True).select_option(label="Pieter Botha")
    page.get_by_test_id("assign-role").click()
    expect(page.get_by_test_id("holder-commander")).to_have_text("Pieter Botha")
    page.get_by_text("Designate or hand over a role").click()
    page.get_by_label("Role", exact=True).select_option("communications_lead")
    page.get_by_label("Person", exact=True).select_option(label="Kagiso Mokoena")
    page.get_by_test_id("assign-role").click()
    expect(page.get_by_test_id("holder-communications_lead")).to_have_text("Kagiso Mokoena")
    # the executives were informed automatically when the commander was designated (SEV-1)
    expect(page.get_by_test_id("communications")).to_contain_text("IWMS (automatic)")
    page.goto(f"/incidents/{ref}/")
    expect(page.get_by_test_id("role-commander")).to_have_text("Pieter Botha")
    expect(page.get_by_test_id("commander-missing")).to_have_count(0)
    screenshot("response-incident-header")

    _as(page, "kmokoena")
    page.goto(f"/incidents/{ref}/response/message/")
    page.get_by_test_id("template-internal_technical").click()
    expect(page.get_by_label("Subject", exact=True)).to_have_value(re.compile(f"^{ref} SEV-1 update "))
    expect(page.get_by_label("Message", exact=True)).to_contain_text("Commander: Pieter Botha.")
    page.get_by_label("Affected staff").check()
    screenshot("response-message-form")
    page.get_by_test_id("send-update").click()
    expect(page.get_by_test_id("communications")).to_contain_text("Kagiso Mokoena")
    assert Communication.objects.filter(incident=sev1, sender__username="kmokoena").count() == 1

    _as(page, "supervisor")
    page.goto(f"/incidents/{ref}/response/")
    page.get_by_label("Moment", exact=True).select_option("resolved")
    page.get_by_test_id("record-moment").click()
    expect(page.get_by_test_id("moment-resolved")).not_to_have_text("—")
    page.get_by_label("Note", exact=True).fill("Hoisting stopped on both shafts until the rope is replaced.")
    page.get_by_test_id("add-note").click()
    expect(page.get_by_test_id("notes")).to_contain_text("Hoisting stopped")
    screenshot("response-page")
    page.get_by_test_id("open-review").click()
    expect(page.get_by_test_id("blameless")).to_be_visible()
    page.get_by_label("Summary", exact=True).fill("The rock hoist's rope parted at the drum.")
    page.get_by_label("Root cause", exact=True).fill("The inspection interval did not follow the tonnage.")
    page.get_by_label("Contributing factors", exact=True).fill("Sipho Dlamini did not see the wear.")
    page.get_by_label("What worked", exact=True).fill("The shaft was empty by procedure.")
    page.get_by_label("What failed", exact=True).fill("Rope wear went unmeasured.")
    page.get_by_test_id("save-review").click()
    expect(page.get_by_test_id("named-people")).to_contain_text("Sipho Dlamini")
    page.get_by_label("Contributing factors", exact=True).fill("The shift inspection checklist has no rope-wear item.")
    page.get_by_label("Preventive action", exact=True).fill("Tie the rope inspection interval to tonnage")
    page.get_by_label("Owner", exact=True).select_option(label="Zanele Ndlovu")
    page.get_by_test_id("add-action").click()
    expect(page.get_by_test_id("action-items")).to_contain_text("Zanele Ndlovu")
    page.get_by_label("Contributing factors", exact=True).fill("The shift inspection checklist has no rope-wear item.")
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_text("submitted for acceptance", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("named-people")).to_have_count(0)
    expect(page.get_by_test_id("closure-blocked")).to_contain_text("not accepted")
    screenshot("response-review")

    page.goto(f"/incidents/{ref}/status/")
    expect(page.get_by_test_id("status-update")).to_have_count(2)
    screenshot("response-status-page")
    page.goto("/response/reviews/")
    expect(page.get_by_test_id("reviews")).to_contain_text(ref)
    expect(page.get_by_test_id("kpi-compliance")).to_contain_text("of")
    screenshot("response-review-list")
