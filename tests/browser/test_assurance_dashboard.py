"""Journey: the department head opens Assurance from the header, sees their unit's KPIs,
charts drawn from the tables (no script blocked by the Content-Security-Policy), switches to a
quarter, drills into the items behind a number and exports a table as CSV."""

from __future__ import annotations

from django.conf import settings
from playwright.sync_api import expect

from incidents.assurance.rollups import rebuild
from tests.assurance.history import spread_history
from tests.browser.conftest import log_in
from tests.browser.test_security import CspWatch


def test_department_head_reads_their_dashboard_and_drills_into_the_items(page, screenshot, demo_tenant):
    spread_history(demo_tenant, days=60)
    rebuild(tenant_id=demo_tenant.pk)
    csp = CspWatch(page)
    log_in(page, "depthead", settings.IWMS_DEMO_PASSWORD)
    page.get_by_test_id("nav-assurance").click()
    page.get_by_test_id("assurance-unit-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mining: assurance dashboard")
    trend = page.locator('canvas[data-chart-for="table-trend-data"]')
    expect(trend).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("kpi-card-volume")).not_to_contain_text("—")
    screenshot("assurance-unit-dashboard")

    page.get_by_label("Period", exact=True).select_option("quarter")
    expect(page.get_by_test_id("dashboard-period")).to_contain_text("quarter")
    expect(page.locator('canvas[data-chart-for="table-trend-data"]')).to_have_attribute("data-drawn", "1")
    assert "period=quarter" in page.url
    screenshot("assurance-unit-dashboard-quarter")
    # Chart.js and the chart script run under script-src 'self' and style-src 'self'.
    assert csp.violations() == []

    with page.expect_download() as download:
        page.get_by_test_id("csv-severity").click()
    assert download.value.suggested_filename.startswith("assurance-mining-severity-")

    page.get_by_test_id("table-severity").get_by_text("The table behind the chart").click()
    page.get_by_test_id("drill-severity").nth(2).click()  # SEV-3
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incident list")
    expect(page.get_by_label("Severity", exact=True)).to_have_value("sev3")
