"""Journey (issue 5, done when): the demo's escalation drill goes late and escalates by itself
while the supervisor, Pieter Botha, watches its page: without a reload, the page shows
level 1 (to him), level 2 (the department head), level 3 (the top) and the stop at the top of
the hierarchy, each step on the timeline. Then the owner re-assesses a severity on the page.

The sweep runs in the test, with the clock moved past each resolve deadline (time-machine), as
beat would run it each minute; the page finds each step by its own HTMX polling (every 10 s
on the real page, every 2 s here).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import expect

from incidents.choices import Severity, SystemReason
from incidents.demo.drill import seed_escalation_drill
from incidents.models import Incident
from incidents.sla.services.sweep import sweep_due
from iwms.audit import verify_chain
from iwms.models import AuditEvent
from tests.browser.conftest import log_in


@pytest.fixture
def drill(demo_tenant, monkeypatch):
    monkeypatch.setattr("incidents.views.incident.LIVE_POLL_SECONDS", 2)
    return seed_escalation_drill(tenant=demo_tenant)


def sweep_after(item: Incident) -> Incident:
    """Sweep once just after `item`'s resolve deadline; the failure-to-complete incident it raised."""
    with time_machine.travel(item.resolve_due_at + timedelta(seconds=5), tick=False):
        sweep_due()
    return Incident.objects.filter(parent=item, system_reason=SystemReason.OVERDUE).first()


def test_the_supervisor_watches_the_drill_escalate_to_the_top_without_reloading(page, screenshot, drill):
    log_in(page, "supervisor", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"/incidents/{drill.reference}/")
    expect(page.get_by_test_id("incident-reference")).to_contain_text("Escalation drill")
    expect(page.get_by_test_id("not-escalated")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    timeline = page.get_by_test_id("timeline")
    screenshot("live-0-before")

    level_1 = sweep_after(drill)
    first = page.get_by_test_id("escalation-level-1")
    expect(first).to_contain_text("Pieter Botha", timeout=15_000)
    expect(first).to_contain_text(level_1.reference)
    expect(page.get_by_test_id("escalation-level")).to_have_text("escalated to level 1")
    expect(page.locator("[data-clock='resolve'] [data-testid='breached']")).to_be_visible()
    expect(timeline).to_contain_text("Escalated to level 1 (supervisor): Pieter Botha")
    screenshot("live-1-supervisor")

    level_2 = sweep_after(level_1)
    expect(page.get_by_test_id("escalation-level-2")).to_contain_text("Nomvula Khumalo", timeout=15_000)
    expect(page.get_by_test_id("escalation-level-2")).to_contain_text(level_2.reference)
    expect(timeline).to_contain_text("Escalated to level 2 (department head): Nomvula Khumalo")

    level_3 = sweep_after(level_2)
    expect(page.get_by_test_id("escalation-level-3")).to_contain_text("Johannes van der Merwe", timeout=15_000)
    expect(timeline).to_contain_text("Escalated to level 3 (top of the hierarchy)")
    expect(page.get_by_test_id("escalation-level")).to_have_text("escalated to level 3")
    expect(page.get_by_test_id("escalation-stopped")).to_have_count(0)
    screenshot("live-2-top")

    assert sweep_after(level_3) is None  # nobody is left above the top
    stopped = page.get_by_test_id("escalation-stopped")
    expect(stopped).to_contain_text("Escalation stopped at the top of the hierarchy", timeout=15_000)
    expect(stopped).to_contain_text("maturity signal")
    expect(timeline).to_contain_text("Escalation stopped at the top of the hierarchy")
    assert page.evaluate("window.__sameDocument") is True
    screenshot("live-3-stopped")

    escalations = AuditEvent.objects.filter(
        object_id=str(drill.pk), object_type="incidents.incident", action="escalate"
    )
    assert escalations.count() == 4
    assert verify_chain(drill.organisation).ok


def test_the_owner_changes_the_severity_on_the_page_and_sees_the_new_deadlines(page, screenshot, demo_tenant):
    from incidents.demo.incidents import seed_demo_incidents

    incident = next(i for i in seed_demo_incidents(tenant=demo_tenant) if i.category.code == "SAF.GEO.FOG")
    assert incident.severity == Severity.SEV2
    log_in(page, "depthead", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"/incidents/{incident.reference}/")
    page.evaluate("window.__sameDocument = true")
    panel = page.get_by_test_id("severity-panel")
    panel.get_by_label("New severity").select_option("sev1")
    panel.get_by_role("button", name="Change severity").click()
    expect(panel.locator("#id_reason-error")).to_have_text("Say why the severity changes.")
    screenshot("severity-0-reason-missing")

    panel.get_by_label("Why the severity changes").fill("A second slab fell; the crew is still underground.")
    panel.get_by_role("button", name="Change severity").click()
    changed = page.get_by_test_id("severity-changed")
    resolve = incident.reported_at + timedelta(hours=1)
    expect(changed).to_contain_text("Severity is now SEV-1")
    expect(page.get_by_test_id("incident-severity")).to_have_text("SEV-1")
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "Severity SEV-2 → SEV-1: A second slab fell; the crew is still underground."
    )
    assert page.evaluate("window.__sameDocument") is True
    screenshot("severity-1-changed")
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.severity == Severity.SEV1 and stored.resolve_due_at == resolve
