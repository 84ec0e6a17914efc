"""The responsible person's journey around Complete (issues 12 and 13): an optional step refuses
'n/a', is marked not applicable with a reason and the mark is undone; Complete shows the review
in progress, and its outcome replaces it without a reload once the background review has run."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from incidents.choices import IncidentStatus, Severity
from incidents.models import Incident
from incidents.work.services import review
from iwms.models import AuditEvent, User
from tests.browser.conftest import log_in
from tests.browser.test_closure_queue import worked_fall
from tests.browser.test_work_page import open_panel
from workflows.models import Review


@pytest.fixture(autouse=True)
def _rules_only_review(settings) -> None:
    settings.IWMS_REVIEW_LLM_URL = ""


def test_complete_shows_the_review_in_progress_then_its_outcome_without_a_reload(
    demo_tenant, page, screenshot, monkeypatch
):
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    incident = worked_fall(
        demo_tenant,
        people,
        "Fall of ground in the 10 level footwall drive",
        "Shaft 2, level 10",
        "in the footwall drive",
        Severity.SEV2,
    )
    # The broker is the test: the review task is held until the page has shown it in progress.
    sent: list[int] = []
    monkeypatch.setattr(review, "schedule_review", sent.append)
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"/incidents/{incident.reference}/work/")

    # --- The optional survey step: 'n/a' is refused, a reason accepted, then the mark undone -------
    plan = page.get_by_test_id("step-record_on_plan")
    open_panel(plan, "Not applicable")
    justification = plan.get_by_label("Why this step does not apply")
    justification.fill("n/a")
    plan.get_by_role("button", name="Mark not applicable").click()
    expect(plan.locator(".field-error[role=alert]")).to_contain_text("gives only 'n/a'")
    expect(plan.get_by_test_id("step-status")).to_have_text("pending")
    reason = (
        "The slab was half a metre across, between two bolts of the existing pattern: there is no cavity to survey."
    )
    justification.fill(reason)
    plan.get_by_role("button", name="Mark not applicable").click()
    expect(plan.get_by_test_id("step-status")).to_have_text("not applicable")
    expect(plan.get_by_test_id("not-applicable-justification")).to_contain_text(reason)
    screenshot("review-1-not-applicable")
    plan.get_by_test_id("undo-not-applicable").click()
    expect(plan.get_by_test_id("step-status")).to_have_text("pending")
    expect(plan.get_by_test_id("undo-not-applicable")).to_have_count(0)
    expect(plan.get_by_test_id("not-applicable-justification")).to_have_count(0)
    undo = AuditEvent.objects.filter(object_type="workflows.step", message__contains="not applicable undone").get()
    assert undo.actor_id == people["responsible"].pk and undo.changes["justification"] == [reason, ""]
    screenshot("review-2-undone")

    # --- Complete: the review is in progress, the page polls ---------------------------------------
    page.get_by_test_id("complete-work").click()
    progress = page.get_by_test_id("review-in-progress")
    expect(progress).to_contain_text("the automated review is in progress")
    expect(page.get_by_test_id("incident-status")).to_have_text("half-closed")
    page.evaluate("window.iwmsSamePage = true")  # gone if the page were reloaded
    screenshot("review-3-in-progress")
    assert len(sent) == 1 and not Review.objects.exists()

    # --- The worker reviews it; the outcome replaces the notice, without a reload ------------------
    stored = review.review_submission(submission_id=sent[0])
    assert stored is not None, "the submission was awaiting its review"
    expect(page.get_by_test_id("incident-status")).to_have_text("pending closure", timeout=15_000)
    expect(page.get_by_test_id("pending-closure")).to_be_visible()
    expect(page.get_by_test_id("review-in-progress")).to_have_count(0)
    expect(page.get_by_test_id("reviews").locator("tbody tr")).to_have_count(1)
    assert page.evaluate("window.iwmsSamePage") is True
    screenshot("review-4-outcome")
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.PENDING_CLOSURE
