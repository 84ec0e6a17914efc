"""Journey: on the seeded demo, the auditor and the regulator sign in and find incidents in the
portal (their grants come with the demo); someone without a grant is told whom to ask."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser.conftest import log_in


@pytest.fixture
def seeded_demo(transactional_db: None) -> None:
    call_command("seed_demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("username", ["auditor", "regulator"])
def test_auditor_and_regulator_see_incidents_in_the_portal_out_of_the_box(page, screenshot, seeded_demo, username):
    from playwright.sync_api import expect

    log_in(page, username, settings.IWMS_DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/portal/")
    rows = page.get_by_test_id("portal-incident")
    expect(rows.first).to_be_visible()
    expect(rows.filter(has_text="Fall of ground at Shaft 2")).to_have_count(1)
    assert rows.count() >= 2
    expect(page.get_by_test_id("scope-count")).to_contain_text("in scope")
    screenshot(f"demo-portal-{username}")

    rows.filter(has_text="Fall of ground at Shaft 2").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fall of ground at Shaft 2")


def test_someone_without_a_grant_is_told_whom_to_ask(page, screenshot, seeded_demo):
    from playwright.sync_api import expect

    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/portal/")
    expect(page.get_by_test_id("no-live-grant")).to_contain_text("You have no grant yet")
    expect(page.get_by_test_id("tenant-admins")).to_contain_text("Priya Govender")
    screenshot("demo-portal-no-grant")
