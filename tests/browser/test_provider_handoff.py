"""Journey (issue 13): the responsible person hands the support step of a fall of ground to the
external provider, Elena Rossi of Rockfall Geotech. She is told in her inbox, finds the step
waiting in her portal, accepts it, submits the support photos, pull-test results and the
installation record, and completes it there. The responsible person is told and sees the step
completed by her on the work page: nothing is left stuck with the provider."""

from __future__ import annotations

from playwright.sync_api import expect

from incidents.core import lifecycle
from iwms.models import User
from tests.browser.test_work_page import fall_of_ground, local, open_panel, pdf, photo, sign_in, sign_out  # noqa: F401
from workflows.models import Step


def submit(page, *, kind: str, relevance: str, files=None, text: str = "") -> None:
    page.get_by_label("Kind").select_option(kind)
    if files:
        page.get_by_label("Files").set_input_files([str(f) for f in files])
    if text:
        page.get_by_label("Text").fill(text)
    page.get_by_label("What it shows for this step").fill(relevance)
    page.get_by_label("Collected at").fill(local(10))
    page.get_by_label("Where it was collected").fill("Shaft 2, level 8")
    before = page.get_by_test_id("own-evidence").count()
    page.get_by_role("button", name="Submit evidence").click()
    expect(page.get_by_test_id("own-evidence")).to_have_count(before + 1)


def test_step_handed_to_the_provider_is_accepted_worked_and_completed(page, fall_of_ground, screenshot, tmp_path):  # noqa: F811
    responsible = User.objects.get(username="responsible")
    incident = lifecycle.acknowledge_incident(incident=fall_of_ground, actor=responsible)
    bolts = photo(tmp_path, "bolts_installed.jpg", "#1f2937", "#a8a29e", 7)
    record = pdf(tmp_path, "support_installation_record.pdf", "Support installation record")

    # --- The responsible person hands the support step to the provider ----------------------
    sign_in(page, "responsible", "Sipho Dlamini")
    page.goto(f"/incidents/{incident.reference}/work/")
    step = page.get_by_test_id("step-scale_and_support")
    open_panel(step, "Delegate this step")
    step.get_by_label("Hand to").select_option(label="Elena Rossi")
    step.get_by_label("Reason").select_option("expertise")
    step.get_by_label("Hand-off note").fill("Rockfall Geotech bars down and installs the bolts the engineer specified.")
    step.get_by_role("button", name="Delegate").click()
    expect(step.get_by_test_id("step-handoff")).to_contain_text("waiting for their acceptance")
    screenshot("provider-handoff-1-proposed")
    sign_out(page)

    # --- The provider is told, accepts in her portal, works and completes the step ----------
    sign_in(page, "provider", "Elena Rossi")
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.get_by_test_id("inbox-link").click()
    notice = page.get_by_test_id("notification").first
    expect(notice).to_contain_text("Sipho Dlamini hands you step 5")
    notice.get_by_role("link", name="Open").click()
    handoff = page.get_by_test_id("provider-handoff")
    expect(handoff).to_contain_text("Bar down loose rock and install the specified support")
    expect(handoff).to_contain_text("Rockfall Geotech bars down")
    screenshot("provider-handoff-2-portal")
    handoff.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Hand-off accepted")).to_be_visible()
    expect(page.get_by_test_id("complete-reason")).to_contain_text("Needs")
    submit(page, kind="photo", files=[bolts], relevance="Twelve roof bolts and mesh installed over the fall")
    submit(page, kind="measurement", text="Pull tests: 12 of 12 bolts held 10 t", relevance="Pull-test results")
    submit(page, kind="document", files=[record], relevance="Support installation record, signed by the crew")
    screenshot("provider-handoff-3-evidence")
    page.get_by_test_id("provider-complete-step").click()
    expect(page.get_by_test_id("provider-step-status")).to_have_text("completed")
    screenshot("provider-handoff-4-completed")
    done = Step.objects.get(run__subject_id=str(incident.pk), key="scale_and_support")
    assert done.status == "completed" and done.completed_by.username == "provider"
    sign_out(page)

    # --- The responsible person is told and sees the step completed by her ------------------
    sign_in(page, "responsible", "Sipho Dlamini")
    page.get_by_test_id("inbox-link").click()
    expect(page.get_by_test_id("notification").filter(has_text="Elena Rossi completed step 5")).to_have_count(1)
    page.goto(f"/incidents/{incident.reference}/work/")
    step = page.get_by_test_id("step-scale_and_support")
    expect(step.get_by_test_id("step-status")).to_have_text("completed")
    expect(step.get_by_test_id("step-handoff")).to_contain_text("they finished it")
    screenshot("provider-handoff-5-back-with-responsible")
