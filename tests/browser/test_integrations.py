"""Journey of a detection source (issue 14): Priya, the tenant admin, registers RADAM under
Integrations and copies its token; RADAM sends a trigger and a duplicate through the API; the
source's page shows the incident created and the duplicate attached as its second occurrence.
The API docs page loads offline, its scripts allowed by the Content-Security-Policy."""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import log_in


def post_event(base_url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{base_url}/api/v1/events/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return json.loads(answer.read())


def test_a_source_registered_in_the_ui_creates_and_deduplicates(page, live_server, demo_tenant, screenshot):
    log_in(page, "admin", settings.IWMS_DEMO_PASSWORD)
    page.get_by_test_id("nav-integrations").click()
    form = page.get_by_test_id("source-form")
    form.locator("#id_name").fill("RADAM shaft 2")
    form.locator("#id_kind").select_option("radam")
    form.locator("#id_category").select_option(label="SAF.GEO.FOG Fall of ground")
    form.get_by_role("button", name="Register and issue a token").click()
    token = page.get_by_test_id("token-value").inner_text()
    screenshot("integrations-source-registered")

    body = {"dedup_key": "s2-l8-seismic", "summary": "Seismic event M2.1", "severity": "critical"}
    first = post_event(live_server.url, token, body)
    second = post_event(live_server.url, token, body)
    assert first["outcome"] == "created" and second["outcome"] == "attached" and second["occurrences"] == 2

    page.get_by_role("link", name="All sources").click()
    expect(page.get_by_test_id("sources")).to_contain_text("RADAM shaft 2")
    screenshot("integrations-sources")
    page.get_by_role("link", name="RADAM shaft 2").click()
    expect(page.get_by_test_id("source-events")).to_contain_text(f"{first['incident']} #2")
    expect(page.get_by_test_id("token-value")).to_have_count(0)
    screenshot("integrations-source-events")

    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/api/v1/docs/")
    expect(page.get_by_text("IWMS API").first).to_be_visible()
    screenshot("api-docs")
    # Swagger UI sets one inline style the policy blocks (cosmetic); no script is blocked.
    assert not [e for e in errors if "script-src" in e]
