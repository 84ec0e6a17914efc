"""Journey: the platform admin corrects an open incident's severity in the Django admin, with a
reason; the deadlines are recomputed by the severity service and the change is on the timeline."""

from __future__ import annotations

from django.conf import settings
from playwright.sync_api import expect

from incidents.choices import Severity
from incidents.core.deadlines import deadlines_for, policy_for
from incidents.demo.incidents import seed_demo_incidents
from incidents.models import Incident
from iwms.models import AuditEvent
from tests.browser.conftest import log_in


def test_platform_admin_raises_a_severity_in_the_admin_and_the_clocks_follow(page, screenshot, demo_tenant):
    seed_demo_incidents(tenant=demo_tenant)
    incident = Incident.objects.get(title__startswith="Loader reversed")
    log_in(page, "platform", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"/admin/incidents/incident/{incident.pk}/change/")
    page.get_by_label("Severity").select_option(Severity.SEV1)
    page.get_by_role("button", name="Save", exact=True).click()
    # No reason: refused next to the reason field, nothing saved.
    expect(page.locator(".field-change_reason .errorlist")).to_contain_text("Say why you change severity")
    screenshot("admin-severity-needs-reason")
    page.get_by_label("Reason for the correction").fill("The proximity log shows a near contact; raising it.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    screenshot("admin-severity-saved")

    incident.refresh_from_db()
    expected = deadlines_for(Severity.SEV1, incident.reported_at, policy_for(incident.category))
    assert incident.severity == Severity.SEV1 and incident.resolve_due_at == expected.resolve_due_at
    event = AuditEvent.objects.filter(object_id=str(incident.pk), actor_label="platform").get()
    assert event.changes["severity"] == [Severity.SEV3, Severity.SEV1]
