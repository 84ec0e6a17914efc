"""Journey (issue 13): the department head, Nomvula Khumalo, opens the incident list from the
header, filters it by severity, searches a title, sees the filters in the address bar, pages
through, and exports exactly the filtered rows as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import Severity
from incidents.core.lifecycle import create_incidents, new_incident
from incidents.models import Category
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import log_in


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _seed(tenant) -> None:
    people = {u.username: u for u in User.objects.filter(organisation=tenant)}
    category = Category.objects.get(organisation=tenant, code="SAF.GEO.FOG")
    common = dict(
        kind="incident",
        source="manual",
        category=category,
        narrative="A slab fell from the hanging wall near the loading box.",
        location="Shaft 2, level 8",
        risk_level="medium",
        time_sensitivity="prompt",
        occurred_at=timezone.now() - timedelta(hours=1),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    built = [
        new_incident(tenant=tenant, title=f"Rock burst at stope {n}", severity=Severity.SEV2, **common)
        for n in range(28)
    ]
    built += [
        new_incident(tenant=tenant, title=f"Loose rock on level {n}", severity=Severity.SEV3, **common)
        for n in range(4)
    ]
    built.append(new_incident(tenant=tenant, title="Pillar collapse, shaft 3", severity=Severity.SEV1, **common))
    create_incidents(tenant=tenant, incidents=built)


def test_the_department_head_filters_searches_and_exports_the_incident_list(page, screenshot, demo_tenant, tmp_path):
    _seed(demo_tenant)
    log_in(page, "depthead", settings.IWMS_DEMO_PASSWORD)
    page.get_by_test_id("nav-managed-incidents").click()
    expect(page.get_by_role("heading", name="Incident list")).to_be_visible()
    expect(page.get_by_test_id("managed-count")).to_have_text("33 incidents.")
    expect(page.get_by_test_id("managed-row")).to_have_count(25)

    page.get_by_label("Severity").select_option("sev2")
    expect(page.get_by_test_id("managed-count")).to_have_text("28 incidents match the filters.")
    assert _query(page.url)["severity"] == ["sev2"]
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_test_id("managed-row")).to_have_count(3)
    assert _query(page.url)["severity"] == ["sev2"] and _query(page.url)["page"] == ["2"]

    page.get_by_label("Search reference or title").fill("stope 1")
    page.get_by_role("button", name="Filter", exact=True).click()
    # "stope 1" and "stope 10" … "stope 19": eleven of the SEV-2 rock bursts.
    expect(page.get_by_test_id("managed-count")).to_have_text("11 incidents match the filters.")
    expect(page.get_by_test_id("managed-row")).to_have_count(11)
    assert _query(page.url)["q"] == ["stope 1"] and "page" not in _query(page.url)
    screenshot("managed-list-filtered")

    with page.expect_download() as download_info:
        page.get_by_test_id("managed-csv").click()
    target = Path(tmp_path) / "export.csv"
    download_info.value.save_as(str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    shown = page.get_by_test_id("managed-row").evaluate_all("rows => rows.map(r => r.dataset.reference)")
    assert sorted(row["reference"] for row in rows) == sorted(shown)
    assert {row["severity"] for row in rows} == {"SEV-2"}
    assert all("stope 1" in row["title"] for row in rows)

    # A bookmarked address with a page far past the end shows the last page, not an error.
    page.goto(page.url + "&page=10000000000000000000000")
    expect(page.get_by_test_id("managed-row")).to_have_count(11)
    expect(page.get_by_label("Severity")).to_have_value("sev2")
    expect(page.get_by_label("Search reference or title")).to_have_value("stope 1")
