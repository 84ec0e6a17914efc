"""Journey: every demo role signs in and lands on a home page that says who they are and
which position they hold (or, for outsiders, which role they act in)."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.browser.conftest import log_in

# username, the name shown, the position (or role) the home page must show
DEMO_ROLES = [
    ("reporter", "Thabo Nkosi", "Miner, Shift A"),
    ("responsible", "Sipho Dlamini", "Shift Boss, Shift A"),
    ("supervisor", "Pieter Botha", "Mine Overseer"),
    ("depthead", "Nomvula Khumalo", "Mining Manager"),
    ("top", "Johannes van der Merwe", "General Manager"),
    ("custodian", "Refilwe Tau", "SHEQ Systems Custodian"),
    ("admin", "Priya Govender", "IWMS Administrator"),
    ("auditor", "Grace Olivier", "auditor"),
    ("regulator", "Daniel Mokgosi", "regulator"),
    ("provider", "Elena Rossi", "external provider"),
]


@pytest.mark.parametrize(("username", "full_name", "position_or_role"), DEMO_ROLES)
def test_demo_role_lands_on_home_page_naming_person_and_position(
    page, demo_tenant, screenshot, username, full_name, position_or_role
):
    log_in(page, username, settings.IWMS_DEMO_PASSWORD)

    page.wait_for_url("**/")
    assert page.get_by_test_id("whoami").inner_text() == full_name
    assert "Kimberlite Ridge Diamond Mine" in page.locator("header").inner_text()
    body = page.locator("main").inner_text()
    assert position_or_role in body
    screenshot(f"home-{username}")


def test_home_page_shows_reporting_line_for_the_reporter(page, demo_tenant):
    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)

    assert "Sipho Dlamini — Shift Boss, Shift A" in page.get_by_test_id("supervisor").inner_text()
    assert "Nomvula Khumalo — Mining Manager" in page.get_by_test_id("department-head").inner_text()


def test_wrong_password_is_refused_with_a_message_and_no_session(page, demo_tenant, screenshot):
    log_in(page, "reporter", "not-the-password")

    assert "/accounts/login/" in page.url
    assert "correct username and password" in page.get_by_role("alert").inner_text()
    screenshot("login-refused")


def test_sign_out_returns_to_the_login_page(page, demo_tenant):
    log_in(page, "top", settings.IWMS_DEMO_PASSWORD)
    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url
