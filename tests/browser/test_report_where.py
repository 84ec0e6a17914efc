"""Journey (issue 13): a miner reports a conveyor fire in the Processing Plant. The proposal on
top is a fire, not a conveyor breakdown; a refresh in the middle of typing loses nothing; the
wizard asks where it happened and the confirmation routes the report to the plant."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote_plus

from django.conf import settings
from django.utils import timezone

from incidents.models import Incident
from tests.browser.conftest import log_in


def kept(response: object, text: str) -> bool:
    """The response to the keep-as-typed request that carried `text` (form-encoded)."""
    sent = unquote_plus(response.request.post_data or "")
    return "/typed/" in response.url and response.status == 204 and text in sent


def test_a_miner_reports_a_plant_fire_and_a_refresh_loses_nothing(page, demo_tenant, screenshot):
    log_in(page, "reporter", settings.IWMS_DEMO_PASSWORD)
    page.get_by_role("link", name="Report").click()

    page.locator("input[name=kind][value=incident]").check()
    # Kept as typed: a refresh before Next shows it again.
    with page.expect_response(lambda r: kept(r, "caught fire at the plant")):
        page.get_by_label("In one sentence").fill("Conveyor belt caught fire at the plant")
    page.reload()
    assert page.get_by_label("In one sentence").input_value() == "Conveyor belt caught fire at the plant"
    page.get_by_role("button", name="Next: classification").click()

    first = page.get_by_test_id("proposal").first
    assert "Fire on equipment or conveyor" in first.inner_text()
    assert "Escalation drill" not in page.content()
    first.locator("input").check()
    screenshot("wizard-where-2-proposals")
    page.get_by_role("button", name="Next: context and scope").click()

    where = page.get_by_label("Where did it happen (which part of the organisation)?")
    where.select_option(label="\u2003Processing Plant")
    page.get_by_label("Location").fill("Conveyor 3 tail pulley")
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When did it happen").fill(occurred)
    with page.expect_response(lambda r: kept(r, "fire put out")):
        page.get_by_label("What happened?").fill(
            "Smoke and flames at the tail pulley of conveyor 3; the belt was stopped and the fire put out."
        )
    page.reload()
    assert page.get_by_label("Location").input_value() == "Conveyor 3 tail pulley"
    assert page.get_by_label("When did it happen").input_value() == occurred
    assert "Processing Plant" in where.locator("option:checked").inner_text()
    screenshot("wizard-where-3-context-after-refresh")
    page.get_by_role("button", name="Next: confirmation").click()

    assert "Processing Plant" in page.get_by_test_id("plan-owner").inner_text() or "Plant" in (
        page.get_by_test_id("plan-owner").inner_text()
    )
    assert "Sipho Dlamini" not in page.get_by_test_id("plan-responsible").inner_text()
    screenshot("wizard-where-4-confirm")
    page.get_by_role("button", name="Confirm and create").click()
    page.wait_for_url("**/incidents/INC-*/")
    incident = Incident.objects.get(title="Conveyor belt caught fire at the plant")
    assert incident.unit.code == "plant" and incident.owner_position.unit.code == "plant"
