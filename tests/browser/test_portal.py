"""Journeys of the scoped portal (issue 6).

A regulator, Daniel Mokgosi (Inspector of Mines), holds a grant on exactly two of three
fall-of-ground incidents — requested by their owner, the mining manager, and issued by the
tenant admin in Python with the grant services. He sees those two, opens one, exports an audit
pack, waits for its progress bar, downloads it and verifies it offline; once the grant has
expired the same link is refused with the expiry page.

An external provider, Elena Rossi (Rockfall Geotech), has one step of an incident assigned to
her: she submits a photo on it and can open neither the incident's other evidence nor its page.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from incidents.access.services import grants
from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.models import AccessGrant, Category, Incident
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import log_in
from tests.incidents.test_work import add_photo, own_steps
from workflows.models import Evidence, Step


@pytest.fixture
def cast(demo_tenant) -> dict[str, User]:
    return {user.username: user for user in User.objects.filter(organisation=demo_tenant)}


@pytest.fixture
def incidents(demo_tenant, cast) -> list[Incident]:
    """Three fall-of-ground incidents of the mining manager, worked by Sipho Dlamini, each
    with a photo on its first step."""
    category = Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG")
    made = []
    for level in (6, 8, 10):
        incident = create_incident(
            tenant=demo_tenant,
            kind=IncidentKind.INCIDENT,
            source=Source.MANUAL,
            category=category,
            title=f"Fall of ground at Shaft 2, level {level}",
            narrative=f"A slab fell from the hanging wall on level {level}; nobody was injured and the area "
            "was barricaded at once.",
            location=f"Shaft 2, level {level}",
            severity=Severity.SEV3,
            risk_level=RiskLevel.HIGH,
            time_sensitivity=TimeSensitivity.URGENT,
            occurred_at=timezone.now() - timedelta(hours=level),
            owner=cast["depthead"],
            owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
            responsible=cast["responsible"],
            reporter=cast["reporter"],
        )
        incident_workflows.start_incident_workflow(incident=incident)
        incident = lifecycle.acknowledge_incident(incident=incident, actor=cast["responsible"])
        add_photo(incident, own_steps(incident, cast["responsible"])[0], cast["responsible"])
        made.append(incident)
    return made


def test_regulator_sees_two_granted_incidents_exports_a_pack_and_is_refused_after_expiry(
    page, screenshot, demo_tenant, cast, incidents, tmp_path
):
    requested = grants.request_grant(
        tenant=demo_tenant,
        actor=cast["depthead"],
        grantee=cast["regulator"],
        purpose="Section 54 inspection of falls of ground on Shaft 2",
        expires_at=timezone.now() + timedelta(days=30),
        incidents=incidents[:2],
    )
    grant = grants.issue_grant(grant=requested, actor=cast["admin"])

    log_in(page, "regulator", settings.IWMS_DEMO_PASSWORD)
    page.goto("/portal/")
    rows = page.get_by_test_id("portal-incident")
    expect(rows).to_have_count(2)
    for granted in incidents[:2]:
        expect(rows.filter(has_text=granted.reference)).to_have_count(1)
    expect(page.get_by_text(incidents[2].reference)).to_have_count(0)
    expect(page.get_by_test_id("scope-count")).to_have_text("2 incidents in scope.")
    expect(page.locator("#chain-status")).to_contain_text("Verified")
    screenshot("portal-1-list")

    page.get_by_role("link", name=incidents[0].reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(incidents[0].reference)
    incident_url = page.url
    page.go_back()

    page.get_by_role("button", name="Export audit pack").click()
    download_link = page.get_by_test_id("pack-download")
    expect(download_link).to_be_visible(timeout=30_000)
    expect(page.locator("#new-pack progress")).to_have_count(0)
    screenshot("portal-2-pack")
    with page.expect_download() as downloading:
        download_link.click()
    path = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(path)
    assert path.name.startswith("audit-pack-") and path.stat().st_size > 0
    call_command("verify_pack", str(path))

    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = page.goto(incident_url)
    assert response.status == 403
    expect(page.get_by_text("expired on")).to_be_visible()
    expect(page.get_by_text(incidents[0].title)).to_have_count(0)
    screenshot("portal-3-expired")


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (320, 240), "grey")
    for x in range(0, 320, 40):
        image.paste((200, 120, 40), (x, 100, x + 20, 140))
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


def test_provider_submits_a_photo_on_her_step_and_cannot_open_other_evidence(page, screenshot, cast, incidents):
    incident = incidents[0]
    step = own_steps(incident, cast["responsible"])[1]
    Step.objects.filter(pk=step.pk).update(assignee=cast["provider"])
    other_photo = Evidence.objects.get(step=own_steps(incident, cast["responsible"])[0])

    log_in(page, "provider", settings.IWMS_DEMO_PASSWORD)
    page.goto("/portal/")
    expect(page).to_have_url(f"{page.url.split('/portal/')[0]}/portal/provider/")
    page.get_by_role("link", name=step.name).click()
    page.get_by_label("Kind").select_option("photo")
    page.get_by_label("Files").set_input_files(
        {"name": "rock-bolts.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}
    )
    page.get_by_label("What it shows for this step").fill("Rock bolts installed on the hanging wall")
    page.get_by_label("Collected at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Where it was collected").fill(incident.location)
    page.get_by_role("button", name="Submit evidence").click()
    expect(page.get_by_test_id("own-evidence")).to_contain_text("Rock bolts installed on the hanging wall")
    screenshot("provider-1-step")

    submitted = Evidence.objects.get(step=step)
    assert submitted.submitted_by == cast["provider"] and submitted.source == "external_provider"
    assert page.request.get(f"/portal/provider/evidence/{submitted.pk}/").status == 200
    assert page.request.get(f"/portal/provider/evidence/{other_photo.pk}/").status == 404
    assert page.request.get(f"/incidents/{incident.reference}/evidence/{other_photo.pk}/download/").status == 404
    assert page.goto(f"/incidents/{incident.reference}/").status == 404
