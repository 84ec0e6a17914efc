"""Organogram governance in the browser (issue 15): the mining department head corrects a
reporting line on the unit's page — a change that would make a reporting cycle is refused next
to its form — and signs the monthly verification off, which the unit's page then shows; the
tenant admin enters an HR transfer and an HR event naming an unknown person, kept as a mismatch."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from playwright.sync_api import expect

from incidents.governance.services.verification import start_monthly_verifications
from organogram.models import Position
from tests.browser.conftest import log_in


def test_department_head_corrects_the_structure_and_signs_the_verification_off(page, screenshot, demo_tenant):
    start_monthly_verifications(today=date(2026, 12, 1))
    log_in(page, "depthead", settings.IWMS_DEMO_PASSWORD)
    page.get_by_test_id("nav-organogram").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organogram")
    page.get_by_role("link", name="Mining", exact=True).click()
    expect(page.get_by_test_id("pending-verification")).to_be_visible()
    screenshot("governance-unit-page")

    head = page.locator("#position-mining-manager")
    head.get_by_text("Change reporting line").click()
    head.get_by_label("Now reports to").select_option(label="Geotechnical Engineer (Mining)")
    head.locator("form[action$='/move/']").get_by_label("Reason").fill("The verification showed a different line.")
    head.get_by_test_id("move-submit").click()
    refused = page.locator("#position-mining-manager")
    expect(refused.get_by_role("alert")).to_contain_text("reporting cycle")
    expect(refused.get_by_role("alert")).to_contain_text("Geotechnical Engineer → Mining Manager")
    screenshot("governance-cycle-refused")
    assert Position.objects.get(code="mining-manager").parent.code == "gm"

    geotech = page.locator("#position-geotech")
    geotech.get_by_text("Change reporting line").click()
    geotech.get_by_label("Now reports to").select_option(label="Mine Surveyor (Mining)")
    geotech.locator("form[action$='/move/']").get_by_label("Reason").fill(
        "Geotechnical work is run from underground now."
    )
    geotech.get_by_test_id("move-submit").click()
    expect(page.get_by_test_id("history")).to_contain_text("Geotechnical work is run from underground now.")
    expect(page.locator("#position-geotech").get_by_test_id("reports-to")).to_contain_text("Mine Surveyor")

    page.get_by_test_id("verify-link").click()
    expect(page.get_by_test_id("checklist-row").first).to_be_visible()
    page.get_by_label("Sign-off").fill("I confirm the Mining organogram is as verified above.")
    screenshot("governance-verification-checklist")
    page.get_by_test_id("sign-off").click()
    expect(page.get_by_test_id("last-verified")).to_contain_text("Nomvula Khumalo")
    page.get_by_test_id("chart").get_by_text("Org chart").click()
    screenshot("governance-verified-unit")


def test_tenant_admin_enters_a_transfer_and_an_unknown_person_is_kept_as_a_mismatch(page, screenshot, demo_tenant):
    log_in(page, "admin", settings.IWMS_DEMO_PASSWORD)
    page.goto("/organogram/")
    page.get_by_test_id("hr-events-link").click()
    page.get_by_text("Enter an HR event").click()
    page.get_by_label("Kind").select_option("transfer")
    page.get_by_label("Person").fill("responsible")
    page.get_by_test_id("hr-submit").click()
    expect(page.get_by_role("alert").first).to_contain_text("position must be a position code")
    page.get_by_label("Position").fill("plant-asst-supervisor")
    page.get_by_test_id("hr-submit").click()
    expect(page.get_by_test_id("hr-event").first).to_contain_text("applied")
    page.get_by_text("Enter an HR event").click()
    page.get_by_label("Kind").select_option("hire")
    page.get_by_label("Person").fill("new.starter")
    page.get_by_label("Position").fill("geotech")
    page.get_by_test_id("hr-submit").click()
    expect(page.get_by_test_id("hr-event").first).to_contain_text("mismatch")
    screenshot("governance-hr-events")
