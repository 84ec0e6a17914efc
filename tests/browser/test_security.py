"""Journeys under the Content-Security-Policy: the home page, the report wizard (with its HTMX
category search and POLE "add row"), the incident page, the work page, the account page and
the admin run without a single CSP violation; and, with two-factor sign-in switched on, the
demo supervisor enrols an authenticator app, then signs in again with a code."""

from __future__ import annotations

import time
from base64 import b32decode
from binascii import unhexlify
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.oath import hotp, totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from incidents.models import Incident
from tests.browser.conftest import log_in

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


class CspWatch:
    """Collects CSP violations from the console and from `securitypolicyviolation` events."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        events = self.page.evaluate("window.__cspViolations || []")
        return [*self.console, *events]


@pytest.fixture
def csp(page) -> CspWatch:
    return CspWatch(page)


def test_the_watcher_sees_a_violation(page, csp, demo_tenant):
    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("style-src" in violation for violation in csp.violations())


def test_pages_and_htmx_run_without_csp_violations(page, csp, demo_tenant, live_server):
    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)
    expect(page.get_by_test_id("whoami")).to_be_visible()
    assert csp.violations() == [], "home page"

    page.get_by_role("link", name="Report").click()
    page.locator("input[name=kind][value=incident]").check()
    page.get_by_label("In one sentence").fill("Rock fell from the hanging wall at Shaft 2, level 8")
    page.get_by_role("button", name="Next: classification").click()
    page.get_by_label("Or find a category in the tree").fill("spill")  # HTMX search
    page.locator("#category-tree").get_by_text("Dust exceedance").wait_for(state="detached")
    page.get_by_test_id("proposal").first.locator("input").check()
    page.get_by_role("button", name="Next: context and scope").click()
    page.get_by_label("Location").fill("Shaft 2, level 8, loading box")
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When did it happen").fill(occurred)
    page.get_by_label("What happened?").fill(
        "A slab of about half a metre fell from the hanging wall next to the loading box; nobody was hurt."
    )
    page.get_by_role("button", name="Add a person, object, location or event").click()  # HTMX add row
    expect(page.get_by_test_id("pole-row")).to_have_count(1)
    page.get_by_test_id("pole-row").first.get_by_label("Name").fill("Lerato Mabuza")
    page.get_by_role("button", name="Next: confirmation").click()
    page.get_by_role("button", name="Confirm and create").click()
    page.get_by_test_id("incident-reference").wait_for()
    assert csp.violations() == [], "report wizard and incident page"

    incident = Incident.objects.get()
    page.get_by_role("button", name="Sign out").click()
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"{live_server.url}/incidents/{incident.reference}/")
    page.get_by_role("button", name="Acknowledge and start").click()
    expect(page.get_by_test_id("incident-status")).to_have_text("in progress")
    page.goto(f"{live_server.url}/incidents/{incident.reference}/work/")
    expect(page.get_by_test_id("step-status").first).to_be_visible()
    page.get_by_test_id("signed-in-as").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert csp.violations() == [], "incident, work and account pages"

    page.get_by_role("button", name="Sign out", exact=True).click()
    log_in(page, "platform", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/incidents/incident/")
    expect(page.locator("#result_list")).to_be_visible()
    assert csp.violations() == [], "admin"


def next_code(device: TOTPDevice) -> str:
    """The code the app shows now, or the next one if the current step was already used (a code
    is never accepted twice), with the clock drift the device learnt at enrolment."""
    step = int(time.time()) // device.step + device.drift
    return str(hotp(device.bin_key, max(step, device.last_t + 1))).zfill(6)


def test_supervisor_enrols_two_factor_then_signs_in_with_a_code(page, csp, demo_tenant, settings, screenshot):
    settings.IWMS_REQUIRE_2FA = True
    log_in(page, "supervisor", settings.IWMS_DEMO_PASSWORD)

    page.wait_for_url("**/account/two-factor/setup/**")
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    screenshot("two-factor-setup")
    key_hex = b32decode(secret.replace(" ", "")).hex()
    page.get_by_label("Code from the app").fill(str(totp(unhexlify(key_hex))).zfill(6))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    screenshot("two-factor-recovery-codes")
    page.get_by_role("button", name="I have kept them: continue").click()
    expect(page.get_by_test_id("whoami")).to_have_text("Pieter Botha")

    page.get_by_role("button", name="Sign out").click()
    log_in(page, "supervisor", settings.IWMS_DEMO_PASSWORD)
    page.wait_for_url("**/account/two-factor/verify/**")
    device = TOTPDevice.objects.get(user__username="supervisor")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(next_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("whoami")).to_have_text("Pieter Botha")
    assert csp.violations() == []
