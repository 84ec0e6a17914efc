"""Journey (issue 18): the department head, Nomvula Khumalo, ticks two reports of one fall of
ground on the incident list, merges them into the surviving primary, follows the merged one to
its banner and its own record, un-merges it, and splits a derived incident out of the primary
from its incident page."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from incidents.core.lifecycle import create_incidents, new_incident
from incidents.models import Category, Incident, PoleEntity
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import log_in


def _seed(tenant) -> tuple[Incident, Incident]:
    people = {u.username: u for u in User.objects.filter(organisation=tenant)}
    common = dict(
        tenant=tenant,
        kind="incident",
        source="manual",
        category=Category.objects.get(organisation=tenant, code="SAF.GEO.FOG"),
        narrative="A slab fell from the hanging wall near the loading box.",
        location="Shaft 2, level 8",
        severity="sev2",
        risk_level="high",
        time_sensitivity="urgent",
        occurred_at=timezone.now() - timedelta(hours=4),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    earlier = new_incident(title="Rock fall at the loading box", now=timezone.now() - timedelta(hours=3), **common)
    primary = new_incident(title="Fall of ground at Shaft 2, level 8", **common)
    create_incidents(tenant=tenant, incidents=[earlier, primary])
    for incident, name in ((earlier, "Scaling bar"), (primary, "Conveyor belt"), (primary, "Loading box")):
        PoleEntity.objects.create(organisation=tenant, incident=incident, type="object", name=name)
    return earlier, primary


def test_merge_unmerge_and_split_in_the_browser(page, screenshot, demo_tenant):
    earlier, primary = _seed(demo_tenant)
    log_in(page, "depthead", settings.IWMS_DEMO_PASSWORD)
    page.get_by_test_id("nav-managed-incidents").click()
    for incident in (earlier, primary):
        page.get_by_label(f"Select {incident.reference} to merge").check()
    page.get_by_test_id("merge-selected").click()
    expect(page.get_by_role("heading", name="Merge incidents")).to_be_visible()
    expect(page.get_by_test_id("merge-candidate")).to_have_count(2)
    page.get_by_label(f"{primary.reference} is the primary").check()
    page.get_by_label("Reason").fill("The same fall of ground, reported by two crews.")
    screenshot("controls-merge")
    page.get_by_test_id("merge-submit").click()
    expect(page.get_by_test_id("incident-reference")).to_contain_text(primary.reference)
    expect(page.get_by_test_id("lineage-merged-in")).to_contain_text(earlier.reference)
    screenshot("controls-primary-after-merge")

    page.goto(f"/incidents/{earlier.reference}/")
    expect(page.get_by_test_id("merged-banner")).to_contain_text(f"{earlier.reference} was merged into this incident")
    page.get_by_role("link", name=f"See {earlier.reference}'s own record").click()
    expect(page.get_by_test_id("merged-into")).to_contain_text(primary.reference)
    page.get_by_text("Un-merge this incident").click()
    page.get_by_label("Reason").fill("Two separate falls after all, a shift apart.")
    screenshot("controls-merged-record")
    page.get_by_test_id("unmerge-submit").click()
    expect(page.get_by_text(f"{earlier.reference} is its own incident again.")).to_be_visible()
    assert Incident.objects.get(pk=earlier.pk).status == "open"

    page.goto(f"/incidents/{primary.reference}/")
    page.get_by_test_id("split-this").click()
    page.get_by_label("Title of the new incident").fill("Conveyor belt torn by the fall")
    page.get_by_label("Object: Conveyor belt").check()
    page.get_by_label("Reason").fill("The conveyor damage is an equipment failure of its own.")
    screenshot("controls-split")
    page.get_by_test_id("split-submit").click()
    expect(page.get_by_test_id("lineage-split-from")).to_contain_text(primary.reference)
    expect(page.get_by_test_id("incident-reference")).not_to_contain_text(primary.reference)
    screenshot("controls-derived")
