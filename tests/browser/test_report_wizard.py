"""Journey: the demo reporter reports a fall of ground at Shaft 2 through the four wizard
steps; it lands with the right owner, responsible person and deadlines, shows on "my items",
and the responsible person acknowledges it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from incidents.models import Incident, PoleEntity
from tests.browser.conftest import ARTIFACTS, log_in


def test_reporter_reports_a_fall_of_ground_in_four_steps(page, demo_tenant, screenshot, live_server):
    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)
    page.get_by_role("link", name="Report").click()

    # 1. What do you want to report?
    page.locator("input[name=kind][value=incident]").check()
    page.get_by_label("In one sentence").fill("Rock fell from the hanging wall at Shaft 2, level 8")
    screenshot("wizard-1-kind")
    page.get_by_role("button", name="Next: classification").click()

    # 2. Classification: the proposal on top is the fall of ground
    first_proposal = page.get_by_test_id("proposal").first
    assert "Fall of ground" in first_proposal.inner_text()
    page.get_by_label("Or find a category in the tree").fill("spill")
    page.locator("#category-tree").get_by_text("Dust exceedance").wait_for(state="detached")
    assert page.locator("#category-tree").get_by_text("Hazardous-chemical spill").is_visible()
    first_proposal.locator("input").check()
    screenshot("wizard-2-classification")
    page.get_by_role("button", name="Next: context and scope").click()

    # 3. Context and scope, with a POLE row added without a page reload
    page.get_by_label("Location").fill("Shaft 2, level 8, loading box")
    assert page.get_by_label("SEV-2").is_checked()  # the category's default
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When did it happen").fill(occurred)
    page.get_by_label("What happened?").fill(
        "A slab of about half a metre fell from the hanging wall next to the loading box. Nobody was hurt; "
        "the area is barricaded."
    )
    page.get_by_role("button", name="Add a person, object, location or event").click()
    row = page.get_by_test_id("pole-row").first
    row.get_by_label("Name").fill("Lerato Mabuza")
    row.get_by_label("Role").fill("witness")
    screenshot("wizard-3-context")
    page.get_by_role("button", name="Next: confirmation").click()

    # 4. Confirmation shows owner, responsible, workflow and deadlines before anything exists
    assert "Nomvula Khumalo — Mining Manager" in page.get_by_test_id("plan-owner").inner_text()
    assert "Sipho Dlamini" in page.get_by_test_id("plan-responsible").inner_text()
    assert "fall_of_ground" in page.get_by_test_id("plan-workflow").inner_text()
    assert page.get_by_test_id("plan-deadlines").locator("li").count() == 3
    assert not Incident.objects.exists()
    screenshot("wizard-4-confirm")
    page.get_by_role("button", name="Confirm and create").click()

    page.get_by_test_id("incident-reference").wait_for()
    incident = Incident.objects.get()
    assert incident.category.code == "SAF.GEO.FOG"
    assert (incident.owner.username, incident.responsible.username) == ("depthead", "responsible")
    assert incident.resolve_due_at - incident.reported_at == timedelta(hours=4)
    assert PoleEntity.objects.get(incident=incident).name == "Lerato Mabuza"
    assert page.get_by_test_id("incident-status").inner_text() == "open"
    screenshot("incident-detail")

    # Going back to the confirmation (or double submitting) never creates a second incident
    page.go_back()
    page.goto(f"{live_server.url}/report/{incident.draft.token}/confirm/")
    assert page.get_by_test_id("incident-reference").inner_text().startswith(incident.reference)
    assert Incident.objects.count() == 1

    # A second, similar report gets the duplicate warning; the reporter says why it differs
    page.get_by_role("link", name="Report").click()
    page.locator("input[name=kind][value=incident]").check()
    page.get_by_label("In one sentence").fill("Another slab fell from the hanging wall at Shaft 2")
    page.get_by_role("button", name="Next: classification").click()
    page.get_by_test_id("proposal").first.locator("input").check()
    page.get_by_role("button", name="Next: context and scope").click()
    page.get_by_label("Location").fill("Shaft 2, level 8, loading box")
    page.get_by_label("When did it happen").fill(occurred)
    page.get_by_label("What happened?").fill("A second slab fell from the hanging wall on the far side of the box.")
    page.get_by_role("button", name="Next: confirmation").click()
    warning = page.get_by_test_id("duplicate-warning")
    assert incident.reference in warning.inner_text()
    screenshot("wizard-duplicate-warning")
    warning.get_by_role("radio", name="A different event").check()
    page.get_by_label("Why is this a different event?").fill("A second fall on the other side of the box")
    page.get_by_role("button", name="Confirm and create").click()
    page.get_by_test_id("incident-reference").wait_for()
    assert Incident.objects.count() == 2

    page.get_by_role("link", name="My items").click()
    listed = page.get_by_test_id("my-item").all_inner_texts()
    assert {i.reference for i in Incident.objects.all()} == {text.split()[0] for text in listed}
    screenshot("my-items")

    # The responsible person acknowledges: Open → In progress
    page.get_by_role("button", name="Sign out").click()
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"{live_server.url}/incidents/{incident.reference}/")
    page.get_by_role("button", name="Acknowledge and start").click()
    assert page.get_by_test_id("incident-status").inner_text() == "in progress"
    assert "Acknowledged by the responsible person" in page.get_by_test_id("timeline").inner_text()


def test_errors_are_shown_next_to_their_field_and_nothing_typed_is_lost(page, demo_tenant, screenshot):
    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)
    page.get_by_role("link", name="Report").click()
    page.get_by_label("In one sentence").fill("Diesel on the ground at the workshop")
    page.get_by_role("button", name="Next: classification").click()

    assert "Choose what you are reporting." in page.locator("#kind-error").inner_text()
    assert page.get_by_label("In one sentence").input_value() == "Diesel on the ground at the workshop"
    screenshot("wizard-error-kind")


def test_wizard_fits_a_phone_and_works_with_the_keyboard(browser, live_server, demo_tenant):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    try:
        log_in(phone, "reporter", settings.IWMS_DEMO_PASSWORD)
        phone.goto(f"{live_server.url}/report/")
        # Keyboard only: focus the first kind, choose it with Space, type the title, submit with Enter.
        phone.locator("input[name=kind]").first.focus()
        phone.keyboard.press("Space")
        phone.get_by_label("In one sentence").focus()
        phone.keyboard.type("Loader reversed towards a worker on foot")
        phone.keyboard.press("Enter")
        phone.get_by_test_id("proposal").first.wait_for()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "wizard-phone.png"), full_page=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert "Vehicle–pedestrian interaction" in phone.get_by_test_id("proposal").first.inner_text()
    finally:
        context.close()
