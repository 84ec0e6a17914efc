"""Issue 13: the 403 and 404 pages are IWMS pages (the header, why, a way back), and a failed
submit on the work page — its fragment swapped in by htmx with a 422 — raises no
Content-Security-Policy violation."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from incidents.core import lifecycle
from iwms.models import User
from tests.browser.conftest import log_in
from tests.browser.test_security import CspWatch
from tests.browser.test_work_page import fall_of_ground  # noqa: F401 - the fixture


def test_404_and_403_pages_say_why_and_offer_a_way_back(page, demo_tenant, live_server, screenshot):
    csp = CspWatch(page)
    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()

    response = page.goto(f"{live_server.url}/incidents/INC-1999-000001/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Nothing here")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()  # the site's header, not a bare page
    screenshot("error-404")
    page.get_by_test_id("refusal-home").click()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()
    assert "/incidents/INC-1999-000001/" not in page.url

    response = page.goto(f"{live_server.url}/manage/security/")  # tenant admins only
    assert response.status == 403
    expect(page.get_by_role("heading", name="You may not do this")).to_be_visible()
    expect(page.locator("[data-error-code=access_denied]")).to_be_visible()
    screenshot("error-403")
    assert csp.violations() == []


@pytest.mark.usefixtures("demo_tenant")
def test_a_failed_submit_on_the_work_page_raises_no_csp_violation(page, live_server, fall_of_ground, screenshot):  # noqa: F811
    responsible = User.objects.get(username="responsible")
    lifecycle.acknowledge_incident(incident=fall_of_ground, actor=responsible)
    csp = CspWatch(page)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"{live_server.url}/incidents/{fall_of_ground.reference}/work/")
    step = page.locator("article.step").first
    step.locator("details:has(> summary:has-text('Add evidence')) > summary").first.click()
    form = step.locator("form.evidence-form")
    form.get_by_label("Kind", exact=True).select_option("narrative")
    form.get_by_label("Text", exact=True).fill("The barricade stands.")
    form.get_by_label("What it shows for this step").fill("ok")  # refused: too short
    with page.expect_response(lambda r: "/evidence/" in r.url) as answer:
        form.get_by_role("button", name="Add evidence").click()
    assert answer.value.status == 422
    swapped = page.locator("article.step").first
    expect(swapped.get_by_text("Say what this evidence shows for the step")).to_be_visible()
    page.wait_for_timeout(500)  # let htmx settle: violations would come from the swap
    screenshot("work-page-failed-submit")
    assert csp.violations() == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []


@pytest.mark.usefixtures("demo_tenant")
def test_a_submit_with_an_outdated_security_token_shows_the_refusal_without_csp_violation(
    page,
    live_server,
    fall_of_ground,  # noqa: F811
    screenshot,
):
    """Django's CSRF failure page has an inline <style>; htmx swapped it into the step."""
    lifecycle.acknowledge_incident(incident=fall_of_ground, actor=User.objects.get(username="responsible"))
    csp = CspWatch(page)
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"{live_server.url}/incidents/{fall_of_ground.reference}/work/")
    page.context.clear_cookies(name="csrftoken")  # as after signing in again in another tab
    step = page.locator("article.step").first
    step.locator("details:has(> summary:has-text('not applicable')) > summary").first.click()
    step.get_by_label("Why this step does not apply").fill("The crew had already left the area.")
    with page.expect_response(lambda r: "/not-applicable/" in r.url) as answer:
        step.get_by_role("button", name="Mark not applicable").click()
    assert answer.value.status == 403
    expect(page.locator("#refusals")).to_contain_text("security token is out of date")
    expect(page.locator("article.step").first.get_by_label("Why this step does not apply")).to_be_visible()
    page.wait_for_timeout(500)
    screenshot("work-page-csrf-refusal")
    assert csp.violations() == []
