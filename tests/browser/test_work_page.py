"""Journey (issue 4): the demo responsible person, Sipho Dlamini, works a fall of ground at
Shaft 2, level 8 on the work page. He uploads photos (several at once), justifies one mandatory
step as not applicable (after "n/a" is refused next to the field, with the typed text kept),
pauses another step with an information request that the supervisor answers under "My items",
clicks Complete, gets corrections required because one photo is a copy of another step's photo,
replaces it, and sees the incident move to pending closure with both reviews listed.

Set-up in Python: the incident is created with `create_incident` and its workflow started with
`start_incident_workflow`, as the wizard's confirmation does (the wizard itself is
test_report_wizard.py's journey). Everything else happens in the browser, including the
geotechnical engineer's two steps, done by Zanele Ndlovu signed in as `zndlovu`: the steps of
the `geotech` position are hers, not the responsible person's.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from incidents.choices import IncidentKind, IncidentStatus, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.models import Category, Incident
from incidents.work.services import execution as work
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import ARTIFACTS, log_in
from workflows.choices import Verdict
from workflows.models import Evidence

LOCATION = "Shaft 2, level 8"
NARRATIVE = (
    "At about 06:40 on the morning shift a slab of roughly two by one metres fell from the hanging wall "
    "at Shaft 2, level 8, next to the loading box. The crew had already withdrawn for the pre-shift "
    "examination, so nobody was injured; the shift boss barricaded both access ways."
)


@pytest.fixture(autouse=True)
def _rules_only_review(settings) -> None:
    """The journey judges the rules' findings; no review model is asked, whatever the environment says."""
    settings.IWMS_REVIEW_LLM_URL = ""


def photo(folder: Path, name: str, sky: str, rock: str, seed: int) -> Path:
    """A small picture of a drive with a fallen slab, different for every seed (PNG or JPEG by name)."""
    image = Image.new("RGB", (480, 320), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 230, 480, 320), fill="#5b5348")
    draw.polygon([(60 + seed * 7, 235), (220, 170 + seed), (330 - seed * 3, 240)], fill=rock)
    for bolt in range(6):
        x = 40 + bolt * 75 + seed
        draw.line((x, 0, x, 40 + seed % 9), fill="#d4d4d4", width=4)
    draw.rectangle((10 + seed, 250, 470 - seed, 262), fill="#dc2626")  # the barricade tape
    draw.text((12, 290), f"{name} #{seed}", fill="#ffffff")
    path = folder / name
    image.save(path, quality=88) if path.suffix == ".jpg" else image.save(path)
    return path


def pdf(folder: Path, name: str, title: str) -> Path:
    """A one-page PDF document (Pillow writes real PDFs)."""
    page = Image.new("RGB", (595, 842), "white")
    draw = ImageDraw.Draw(page)
    draw.text((48, 48), title, fill="black")
    for line in range(12):
        draw.line((48, 100 + line * 24, 540, 100 + line * 24), fill="#9ca3af")
    path = folder / name
    page.save(path, "PDF")
    return path


def local(minutes_ago: int) -> str:
    """A datetime-local value in the server's time zone."""
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M")


def sign_in(page, username: str, full_name: str) -> None:
    log_in(page, username, settings.IWMS_DEMO_PASSWORD)
    expect(page.get_by_test_id("signed-in-as")).to_have_text(full_name)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)


def open_panel(step, summary: str) -> None:
    """Open a step's collapsed <details> panel (Add evidence, Not applicable, …) if it is closed."""
    details = step.locator(f"details:has(> summary:has-text('{summary}'))").first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    expect(details).to_have_attribute("open", "")


def add_evidence(
    step,
    *,
    kind: str,
    relevance: str,
    collected: str,
    files: list[Path] | None = None,
    text: str = "",
    source: str = "upload",
) -> None:
    """Fill the step's evidence form and wait for the swapped step to list the new items."""
    before = step.get_by_test_id("evidence").locator("li").count()
    open_panel(step, "Add evidence")
    form = step.locator("form.evidence-form")
    form.get_by_label("Kind", exact=True).select_option(kind)
    if files:
        form.get_by_label("Files", exact=True).set_input_files([str(f) for f in files])
    if text:
        form.get_by_label("Text", exact=True).fill(text)
    form.get_by_label("What it shows for this step").fill(relevance)
    form.get_by_label("Source", exact=True).select_option(source)
    form.get_by_label("Collected at").fill(collected)
    form.get_by_label("Where it was collected").fill(LOCATION)
    form.get_by_role("button", name="Add evidence").click()
    expect(step.get_by_test_id("evidence").locator("li")).to_have_count(before + max(len(files or []), 1))


def complete(step) -> None:
    step.get_by_test_id("complete-step").click()
    expect(step.get_by_test_id("step-status")).to_have_text("completed")


@pytest.fixture
def fall_of_ground(demo_tenant) -> Incident:
    """The demo reporter's report as the wizard confirms it: created and its workflow generated."""
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    incident = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG"),
        title="Fall of ground at the Shaft 2, level 8 loading box",
        narrative=NARRATIVE,
        location=LOCATION,
        severity=Severity.SEV2,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(minutes=95),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
        actor=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=incident, actor=people["reporter"])
    return incident


def test_responsible_person_works_a_fall_of_ground_to_pending_closure(
    page, browser, live_server, fall_of_ground, screenshot, tmp_path
):
    incident = fall_of_ground
    barricade_north = photo(tmp_path, "barricade_north.png", "#1f2937", "#78716c", 1)
    barricade_south = photo(tmp_path, "barricade_south.png", "#111827", "#57534e", 2)
    fall_from_line = photo(tmp_path, "fall_from_barricade_line.jpg", "#27272a", "#a8a29e", 3)
    fall_close_up = photo(tmp_path, "geotech_fall.jpg", "#1c1917", "#d6d3d1", 4)
    hanging_wall = photo(tmp_path, "geotech_hanging_wall.png", "#0f172a", "#94a3b8", 5)
    supported_area = photo(tmp_path, "supported_area.jpg", "#262626", "#e7e5e4", 6)

    # --- The responsible person acknowledges and opens the work page ---------------------------
    sign_in(page, "responsible", "Sipho Dlamini")
    page.goto(f"/incidents/{incident.reference}/")
    expect(page.get_by_test_id("incident-status")).to_have_text("open")
    page.get_by_role("button", name="Acknowledge and start").click()
    expect(page.get_by_test_id("incident-status")).to_have_text("in progress")
    page.get_by_test_id("open-work").click()
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/work/$"))
    steps = page.get_by_test_id("steps").locator("article.step")
    expect(steps).to_have_count(8)
    assert "Mandatory steps not yet completed" in page.get_by_test_id("completion-blockers").inner_text()
    # The geotechnical steps are Zanele Ndlovu's: the responsible person sees them but cannot work them.
    geotech = page.get_by_test_id("step-geotechnical_inspection")
    expect(geotech).to_contain_text("Only Zanele Ndlovu, who executes this step, may work on it.")
    expect(geotech.locator("form")).to_have_count(0)
    screenshot("work-1-start")

    # --- Step 1: three barricade photos picked at once -----------------------------------------
    make_safe = page.get_by_test_id("step-make_safe")
    add_evidence(
        make_safe,
        kind="photo",
        files=[barricade_north, barricade_south, fall_from_line],
        relevance="Danger boards at both access ways and the fall seen from the barricade line",
        collected=local(70),
        source="field_device",
    )
    expect(make_safe.locator("img.thumb")).to_have_count(3)
    expect(make_safe.get_by_test_id("step-status")).to_have_text("in progress")
    expect(make_safe.locator(".needs .badge.ok")).to_have_text("✓ photo")
    # The step just worked is brought into view, and its thumbnails (metadata-free JPEGs) load.
    expect(make_safe.locator("header.step-header")).to_be_in_viewport()
    for thumb in make_safe.locator("img.thumb").all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    screenshot("work-2-evidence")
    complete(make_safe)

    # --- Step 3: "n/a" is refused next to its field; a real justification is accepted ------------
    notify = page.get_by_test_id("step-notify_inspector")
    expect(notify.locator(".needs .badge.warn")).to_have_text("✗ external reference")
    expect(notify.locator("form.evidence-form").get_by_label("Kind", exact=True)).to_have_value("external_reference")
    open_panel(notify, "Not applicable")
    justification = notify.get_by_label("Why this step does not apply")
    justification.fill("n/a")
    notify.get_by_role("button", name="Mark not applicable").click()
    # The swapped step shows the refusal right under the field, which still holds what was typed.
    error = notify.locator(".field-error[role=alert]")
    expect(error).to_contain_text("'n/a' is not a reason")
    assert error.get_attribute("id") == f"{justification.get_attribute('id')}-error"
    expect(justification).to_have_value("n/a")
    expect(justification).to_have_attribute("aria-invalid", "true")
    expect(notify.get_by_test_id("step-status")).to_have_text("pending")
    screenshot("work-2-justification-error")
    reason = (
        "Not reportable: nobody was injured and the fall stayed inside the barricaded end, so it meets none "
        "of the MHSA reportable-incident criteria; the safety officer confirmed this at 07:30."
    )
    justification.fill(reason)
    notify.get_by_role("button", name="Mark not applicable").click()
    expect(notify.get_by_test_id("step-status")).to_have_text("not applicable")
    expect(notify).to_contain_text(reason)

    # --- Step 2: paused with an information request to the supervisor ---------------------------
    account = page.get_by_test_id("step-account_for_persons")
    open_panel(account, "Pause")
    account.get_by_label("Ask", exact=True).select_option(label="Pieter Botha")
    account.get_by_label("What information is needed, and why").fill(
        "Please send the tag-board head count of the morning shift for level 8: the lamp-room record is "
        "locked in the shift office and the step needs it to confirm everyone is accounted for."
    )
    account.get_by_role("button", name="Pause and send the request").click()
    expect(account.get_by_test_id("step-status")).to_have_text("paused")
    expect(account.get_by_test_id("information-request")).to_contain_text("Information request to Pieter Botha")
    expect(account.get_by_test_id("complete-reason")).to_contain_text("paused until its information request")

    # --- Step 5: support installed; the photo picked is, by mistake, step 1's barricade photo ----
    support = page.get_by_test_id("step-scale_and_support")
    add_evidence(
        support,
        kind="photo",
        files=[barricade_north],
        relevance="The scaled and supported hanging wall over the loading box",
        collected=local(25),
        source="field_device",
    )
    add_evidence(
        support,
        kind="measurement",
        text="24 resin bolts of 1.8 m at 1.0 m by 1.0 m spacing with mesh; pull tests: 6 of 6 held 12 t",
        relevance="Number, type and spacing of the support units and the pull-test results",
        collected=local(20),
    )
    add_evidence(
        support,
        kind="document",
        files=[pdf(tmp_path, "support_installation_record.pdf", "Support installation record")],
        relevance="The support installation record signed by the crew leader",
        collected=local(18),
    )
    complete(support)
    sign_out(page)

    # --- The geotechnical engineer works her two steps -------------------------------------------
    sign_in(page, "zndlovu", "Zanele Ndlovu")
    page.get_by_role("link", name="My items").click()
    page.get_by_role("link", name=incident.reference).click()
    page.get_by_test_id("open-work").click()
    expect(page.get_by_test_id("step-close_out")).to_contain_text("Only Sipho Dlamini, who executes this step")
    inspection = page.get_by_test_id("step-geotechnical_inspection")
    add_evidence(
        inspection,
        kind="photo",
        files=[fall_close_up, hanging_wall],
        relevance="The fall from the barricade line and the hanging wall around it",
        collected=local(60),
        source="field_device",
    )
    add_evidence(
        inspection,
        kind="measurement",
        text="Length 2.1 m, width 1.2 m, maximum thickness 0.4 m; about 2.7 t of rock",
        relevance="Size and estimated tonnage of the fall",
        collected=local(58),
    )
    add_evidence(
        inspection,
        kind="document",
        files=[pdf(tmp_path, "geotechnical_inspection.pdf", "Geotechnical inspection report")],
        relevance="Inspection report: a joint plane released the slab between two bolts; support specified",
        collected=local(45),
    )
    complete(inspection)
    reentry = page.get_by_test_id("step-reentry_sign_off")
    add_evidence(
        reentry,
        kind="sign_off",
        files=[pdf(tmp_path, "reentry_sign_off.pdf", "Re-entry sign-off")],
        relevance="Re-entry signed off with the mine overseer after the support was installed",
        collected=local(10),
    )
    expect(reentry.locator(".needs .badge.ok")).to_have_text("✓ sign-off")
    complete(reentry)
    sign_out(page)

    # --- The supervisor finds the request under "My items" and answers it ------------------------
    sign_in(page, "supervisor", "Pieter Botha")
    page.get_by_role("link", name="My items").click()
    requests = page.get_by_test_id("my-requests")
    expect(requests).to_contain_text("from Sipho Dlamini")
    requests.get_by_role("link", name=re.compile("Information for step 2")).click()
    expect(page.get_by_test_id("request-status")).to_have_text("open")
    page.get_by_label("The information asked for").fill(
        "All 14 persons booked onto level 8 for the morning shift were checked out at the tag board by 07:05; "
        "the head-count sheet is now in the shift boss's tray."
    )
    page.get_by_role("button", name="Send the information").click()
    expect(page.get_by_test_id("request-status")).to_have_text("resolved")
    page.get_by_role("link", name="My items").click()
    expect(page.get_by_test_id("my-requests")).to_have_count(0)
    sign_out(page)

    # --- Back as the responsible person: finish the steps and complete ---------------------------
    sign_in(page, "responsible", "Sipho Dlamini")
    page.goto(f"/incidents/{incident.reference}/work/")
    account = page.get_by_test_id("step-account_for_persons")
    expect(account.get_by_test_id("step-status")).to_have_text("in progress")
    expect(account.get_by_test_id("information-request")).to_contain_text("All 14 persons booked onto level 8")
    add_evidence(
        account,
        kind="document",
        files=[pdf(tmp_path, "head_count_morning_shift.pdf", "Head count, morning shift")],
        relevance="The completed tag-board head count of the morning shift",
        collected=local(15),
        source="system",
    )
    add_evidence(
        account,
        kind="narrative",
        text="Everyone booked onto the level was accounted for by 07:05; nobody was injured.",
        relevance="Who was in the working place and whether anyone was hurt",
        collected=local(14),
    )
    complete(account)
    close_out = page.get_by_test_id("step-close_out")
    add_evidence(
        close_out,
        kind="narrative",
        text=(
            "A 2.7 t slab fell between two bolts where a joint plane crossed the hanging wall; nobody was "
            "injured. The area was scaled and 24 resin bolts with mesh were installed as the inspection "
            "specified. Actions: add joint mapping to the daily examination (shift boss, in 7 days) and "
            "retrain the crew on barring down (training officer, in 30 days). Residual risk: low."
        ),
        relevance="The close-out summary the supervisor reviews at closure",
        collected=local(5),
    )
    complete(close_out)
    # The optional survey step stays pending and does not hold up completion.
    expect(page.get_by_test_id("step-record_on_plan").get_by_test_id("step-status")).to_have_text("pending")
    expect(page.get_by_test_id("completion-blockers")).to_have_count(0)
    page.get_by_test_id("complete-work").click()

    # --- The review asks for corrections: step 5's photo is step 1's barricade photo -------------
    findings = page.get_by_test_id("findings")
    expect(findings).to_contain_text("The automated review asks for corrections (review 1)")
    expect(findings).to_contain_text(
        "Evidence item 1 (photo) of step 5 'Bar down loose rock and install the specified support' is the same "
        "file as evidence already used in step 1 'Stop work, withdraw persons and barricade the area'"
    )
    expect(findings).to_contain_text(
        "Replace it with evidence collected for step 5 'Bar down loose rock and install the specified support'."
    )
    expect(findings).to_contain_text("evidence.duplicate · step scale_and_support")
    expect(page.get_by_test_id("incident-status")).to_have_text("in progress")
    support = page.get_by_test_id("step-scale_and_support")
    expect(support.get_by_test_id("step-status")).to_have_text("in progress")
    expect(page.get_by_test_id("step-make_safe").get_by_test_id("step-status")).to_have_text("completed")
    expect(page.get_by_test_id("reviews").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("reviews").locator("tbody tr")).to_contain_text("corrections required")
    screenshot("work-3-findings")
    findings.get_by_test_id("finding-step-link").click()
    expect(page).to_have_url(re.compile(r"#step-\d+$"))
    expect(support.locator("header.step-header")).to_be_in_viewport()
    # On a phone the page with findings, forms, photos and the reviews table fits the screen width.
    phone_context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = phone_context.new_page()
    try:
        sign_in(phone, "responsible", "Sipho Dlamini")
        phone.goto(f"/incidents/{incident.reference}/work/")
        expect(phone.get_by_test_id("findings")).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / "work-3-findings-phone.png"), full_page=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        phone_context.close()

    # --- The fix: invalidate the copied photo, add the photo of the supported area ---------------
    copied = support.get_by_test_id("evidence").locator("li").first
    copied.locator("summary", has_text="Invalidate").click()
    copied.get_by_label("Why it is no longer valid").fill(
        "Wrong file: this is step 1's barricade photo, not a photo of the supported hanging wall."
    )
    copied.get_by_role("button", name="Invalidate").click()
    copied = support.get_by_test_id("evidence").locator("li").first
    expect(copied).to_have_class(re.compile(r"\binvalidated\b"))
    expect(copied).to_contain_text("Invalidated: Wrong file: this is step 1's barricade photo")
    expect(support.locator(".needs .badge.warn")).to_have_text("✗ photo")
    expect(support.get_by_test_id("complete-reason")).to_have_text("Needs photo first.")
    # The evidence form opens by itself, offering the kind the step now lacks.
    expect(support.locator("form.evidence-form").get_by_label("Kind", exact=True)).to_have_value("photo")
    expect(page.get_by_test_id("completion-blockers")).to_contain_text("5. Bar down loose rock")
    screenshot("work-3b-photo-missing")
    add_evidence(
        support,
        kind="photo",
        files=[supported_area],
        relevance="The scaled and supported hanging wall over the loading box, mesh and bolts in place",
        collected=local(3),
        source="field_device",
    )
    complete(support)
    page.get_by_test_id("complete-work").click()

    # --- Pending closure, both reviews listed ------------------------------------------------------
    expect(page.get_by_test_id("incident-status")).to_have_text("pending closure")
    expect(page.get_by_test_id("pending-closure")).to_be_visible()
    expect(page.get_by_test_id("findings")).to_have_count(0)
    rows = page.get_by_test_id("reviews").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("satisfied")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("none")
    expect(rows.nth(1)).to_contain_text("corrections required")
    expect(rows.nth(1)).to_contain_text("evidence.duplicate")
    # No step can be worked once the work is with the supervisor.
    expect(page.get_by_test_id("steps").locator("form")).to_have_count(0)
    screenshot("work-4-pending-closure")

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.PENDING_CLOSURE
    run = work.workflow_of(incident)
    assert [r.verdict for r in run.reviews.order_by("sequence")] == [Verdict.CORRECTIONS_REQUIRED, Verdict.SATISFIED]
    assert [f["code"] for f in run.reviews.get(sequence=1).findings] == ["evidence.duplicate"]
    assert Evidence.objects.filter(step__run=run, invalidated_at__isnull=False).count() == 1
    geotech_evidence = Evidence.objects.filter(step__run=run, step__key="geotechnical_inspection")
    assert set(geotech_evidence.values_list("submitted_by__username", flat=True)) == {"zndlovu"}

    # --- The incident page's timeline tells the story of both reviews -----------------------------
    page.get_by_role("link", name="incident page").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Review 1: corrections required — 1 finding(s)")
    expect(timeline).to_contain_text("Review 2: satisfied")
    text = timeline.inner_text()
    assert text.index("Review 1: corrections required") < text.index("Review 2: satisfied")
    screenshot("work-5-timeline")
