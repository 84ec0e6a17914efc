"""Journey of a grant through its pages (issue 6): the owner of an incident, Thabo the mining
manager, asks from the incident page for the regulator Daniel Mokgosi to read it; the tenant
admin, Priya Govender, issues the request from her Grants page; Daniel finds the incident in
his portal. The header shows each of them only what they can use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from arc.cross_tenant import probe_other_tenants
from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.models import AccessGrant, Category, Incident
from iwms.models import AuditEvent, User
from organogram.models import Position
from tests.browser.conftest import log_in


@pytest.fixture
def cast(demo_tenant) -> dict[str, User]:
    return {user.username: user for user in User.objects.filter(organisation=demo_tenant)}


@pytest.fixture
def incident(demo_tenant, cast) -> Incident:
    made = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG"),
        title="Fall of ground at Shaft 2, level 8",
        narrative="A slab fell from the hanging wall next to the loading box; nobody was injured and the area "
        "was barricaded at once.",
        location="Shaft 2, level 8",
        severity=Severity.SEV3,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(hours=2),
        owner=cast["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=cast["responsible"],
        reporter=cast["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=made)
    return lifecycle.acknowledge_incident(incident=made, actor=cast["responsible"])


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_owner_requests_audit_access_admin_issues_it_and_the_regulator_reads_it(page, screenshot, cast, incident):
    password = settings.IWMS_DEMO_PASSWORD

    # The owner asks from the incident page.
    log_in(page, "depthead", password)
    page.goto(f"/incidents/{incident.reference}/")
    page.get_by_test_id("request-audit-access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request audit access")
    page.get_by_label("Auditor or regulator").select_option(label="Daniel Mokgosi (regulator)")
    expect(page.get_by_label("Incidents", exact=True)).to_have_values([str(incident.pk)])
    page.get_by_label("Purpose").fill("")
    page.get_by_role("button", name="Request the grant").click()
    # An empty purpose is refused next to the field; the choices made are kept.
    expect(page.locator("#id_purpose-error")).to_be_visible()
    expect(page.get_by_label("Auditor or regulator")).to_have_value(str(cast["regulator"].pk))
    screenshot("grants-1-request-error")
    page.get_by_label("Purpose").fill("Section 54 inspection of falls of ground on Shaft 2")
    page.get_by_role("button", name="Request the grant").click()
    expect(page.get_by_test_id("my-grant-request")).to_contain_text("requested")
    screenshot("grants-2-requested")
    grant = AccessGrant.objects.get()
    assert grant.requested_by == cast["depthead"] and grant.issued_at is None
    sign_out(page)

    # The tenant admin issues it from her Grants page.
    log_in(page, "admin", password)
    page.get_by_test_id("nav-grants").click()
    pending = page.get_by_test_id("pending-grant")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(incident.reference)
    expect(pending).to_contain_text("Daniel Mokgosi")
    screenshot("grants-3-pending")
    pending.get_by_role("button", name="Issue").click()
    expect(page.get_by_test_id("live-grant")).to_contain_text(incident.reference)
    expect(page.get_by_test_id("no-pending-grants")).to_be_visible()
    screenshot("grants-4-issued")
    grant.refresh_from_db()
    assert grant.is_live() and grant.issued_by == cast["admin"]
    assert AuditEvent.objects.filter(object_type="incidents.accessgrant", object_id=str(grant.pk)).count() == 2

    # Meanwhile a miner keeps typing a key of the other tenant: refused, and the admin is alerted.
    foreign = Category.objects.exclude(organisation=incident.organisation).order_by("pk").first()
    for _ in range(settings.IWMS_CROSS_TENANT_ALERT_THRESHOLD):
        probe_other_tenants(cast["reporter"], Category, pk=foreign.pk)
    page.goto("/inbox/")
    alert = page.locator('[data-event="security.cross_tenant"]')
    expect(alert).to_contain_text(f"Thabo Nkosi tried {settings.IWMS_CROSS_TENANT_ALERT_THRESHOLD} times")
    alert.get_by_role("link", name="Open").click()
    expect(page.get_by_test_id("security-actor")).to_contain_text("Thabo Nkosi")
    expect(page.get_by_test_id("security-events").locator("tbody tr")).to_have_count(
        settings.IWMS_CROSS_TENANT_ALERT_THRESHOLD + 1
    )  # the attempts and the alert
    screenshot("grants-6-security")
    sign_out(page)

    # The regulator sees it in his portal, and no Report link.
    log_in(page, "regulator", password)
    expect(page.get_by_test_id("nav-report")).to_have_count(0)
    page.get_by_test_id("nav-portal").click()
    rows = page.get_by_test_id("portal-incident")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(incident.reference)
    screenshot("grants-5-portal")


def test_custodian_asks_for_a_subtree_covering_later_incidents_and_the_admin_sees_it_before_issuing(
    page, screenshot, cast, incident
):
    password = settings.IWMS_DEMO_PASSWORD
    log_in(page, "custodian", password)
    page.goto("/grants/request/")
    page.get_by_label("Auditor or regulator").select_option(label="Grace Olivier (auditor)")
    page.get_by_label("A category and its subcategories").check()
    page.get_by_label("Category", exact=True).select_option(label="SAF.GEO · Ground control")
    page.get_by_label("Covers incidents reported later").check()
    page.get_by_label("Purpose").fill("Group assurance review of ground control")
    screenshot("grants-subtree-request")
    page.get_by_role("button", name="Request the grant").click()
    expect(page.get_by_test_id("my-grant-request")).to_contain_text("Also covers incidents reported later")
    grant = AccessGrant.objects.get()
    assert grant.covers_later_incidents and grant.requested_as == "category_custodian"
    sign_out(page)

    log_in(page, "admin", password)
    page.goto("/manage/grants/")
    pending = page.get_by_test_id("pending-grant")
    expect(pending.get_by_test_id("grant-covers-later")).to_have_text("Also covers incidents reported later")
    expect(pending.get_by_test_id("grant-standing")).to_have_text("custodian of the category")
    screenshot("grants-subtree-pending")
    pending.get_by_test_id("issue-grant").click()
    expect(page.get_by_test_id("live-grant")).to_contain_text("Grace Olivier")
    sign_out(page)

    log_in(page, "auditor", password)
    page.goto("/portal/")
    expect(page.get_by_test_id("portal-incident").filter(has_text=incident.reference)).to_have_count(1)
