"""Journey (issue 13): the supervisor, flooded by the drill's e-mails, switches to an hourly
digest on his account page; his inbox still gets every notification at once."""

from __future__ import annotations

from playwright.sync_api import expect

from iwms.models import User
from tests.browser.test_work_page import sign_in


def test_supervisor_chooses_an_hourly_digest_on_the_account_page(page, demo_tenant, screenshot):
    sign_in(page, "supervisor", "Pieter Botha")
    page.get_by_test_id("signed-in-as").click()
    settings = page.get_by_test_id("notification-delivery")
    expect(settings.get_by_label("Each one by e-mail as it happens")).to_be_checked()
    settings.get_by_label("An hourly digest").check()
    settings.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Notification e-mails: an hourly digest.")).to_be_visible()
    expect(page.get_by_test_id("notification-delivery").get_by_label("An hourly digest")).to_be_checked()
    screenshot("account-notification-digest")
    assert User.objects.get(username="supervisor").notification_delivery == "hourly"
