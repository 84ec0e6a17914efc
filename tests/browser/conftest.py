"""Browser-test harness: Playwright driving Debian's Chromium against pytest-django's live server.

Chromium comes from the distribution (`apt-get install chromium`), never from Playwright's
download. Without it these tests skip, unless IWMS_REQUIRE_BROWSER=1 (set by CI) makes
that a failure. Screenshots go to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    configured = os.environ.get("IWMS_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("IWMS_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (IWMS_REQUIRE_BROWSER=1) but was not found: apt-get install chromium")
        pytest.skip("Chromium not installed (apt-get install chromium); browser journeys skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, live_server: object) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page: object):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo_tenant(transactional_db: None) -> object:
    """The demo tenants as `make run` creates them."""
    from django.conf import settings

    from incidents.demo.builder import build_demo_tenant, build_platform_admin, build_second_tenant

    tenant = build_demo_tenant(password=settings.IWMS_DEMO_PASSWORD)
    build_second_tenant(password=settings.IWMS_DEMO_PASSWORD)
    build_platform_admin(password=settings.IWMS_DEMO_PASSWORD)
    return tenant


def log_in(page: object, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
