"""Journey (issue 13): a miner reports a fall of ground the shift boss has already reported,
chooses "Same event as …" on the duplicate warning, lands on that incident with a note that
his report is linked to it, finds it on "my items", and Report then starts a new report
instead of sending him back to the linked incident."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import ReportDraft
from iwms.models import AuditEvent, User
from tests.browser.test_work_page import fall_of_ground, sign_in  # noqa: F401 - fixture


def test_same_event_links_the_report_and_the_next_report_starts_afresh(page, fall_of_ground, screenshot):  # noqa: F811
    existing = fall_of_ground
    sign_in(page, "aphiri", "Andile Phiri")
    page.get_by_role("link", name="Report").click()
    page.locator("input[name=kind][value=incident]").check()
    page.get_by_label("In one sentence").fill("A slab fell from the hanging wall at the Shaft 2 loading box")
    page.get_by_role("button", name="Next: classification").click()
    page.get_by_test_id("proposal").first.locator("input").check()
    page.get_by_role("button", name="Next: context and scope").click()
    page.get_by_label("Location").fill("Shaft 2, level 8")
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When did it happen").fill(occurred)
    page.get_by_label("What happened?").fill(
        "A slab fell from the hanging wall next to the loading box at Shaft 2, level 8; nobody was hurt."
    )
    page.get_by_role("button", name="Next: confirmation").click()

    warning = page.get_by_test_id("duplicate-warning")
    expect(warning).to_contain_text(existing.reference)
    warning.get_by_role("radio", name=re.compile(f"Same event as {existing.reference}")).check()
    page.get_by_role("button", name="Confirm and create").click()

    expect(page.get_by_test_id("incident-reference")).to_contain_text(existing.reference)
    expect(page.get_by_test_id("linked-report-notice")).to_contain_text("is linked to this incident as the same event")
    expect(page.get_by_text(f"Your report is linked to {existing.reference}")).to_be_visible()
    screenshot("linked-1-incident")
    draft = ReportDraft.objects.get(reporter__username="aphiri")
    assert draft.linked_to == existing and draft.incident is None
    assert AuditEvent.objects.filter(object_id=str(existing.pk), action="link").exists()

    page.get_by_role("link", name="My items").click()
    row = page.get_by_test_id("my-item").filter(has_text=existing.reference)
    expect(row.get_by_test_id("linked-report")).to_be_visible()
    screenshot("linked-2-my-items")

    # Report starts a new report; it does not send him back to the linked incident.
    page.get_by_role("link", name="Report").click()
    expect(page).to_have_url(re.compile(r"/report/[0-9a-f-]+/kind/$"))
    expect(page.get_by_label("In one sentence")).to_have_value("")
    screenshot("linked-3-new-report")
    assert ReportDraft.objects.filter(reporter=User.objects.get(username="aphiri")).count() == 2
