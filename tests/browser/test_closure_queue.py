"""Journey (issue 5, first half): the demo supervisor, Pieter Botha (mine overseer), opens the
closure queue, sends one fall of ground back with instructions and approves another with the
closure checklist.

Set-up in Python: two incidents of the responsible person, Sipho Dlamini, are worked through
their workflows with photos, documents and narratives and completed, so the automated review
puts them in pending closure (as test_work_page.py's journey does in the browser).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import IncidentKind, IncidentStatus, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.models import Category, ClosureDecision, Incident
from incidents.work.services import execution as work
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import log_in
from tests.incidents.test_review_loop import COLOURS, complete_and_review, pdf_upload
from tests.incidents.test_work import png
from workflows.choices import EvidenceKind, EvidenceSource, RunKind
from workflows.models import Step, WorkflowRun

INSTRUCTIONS = (
    "Install two extra roof bolts next to the loading box and photograph them with the bolt tags visible; "
    "then have the crew sign the updated barricade register."
)
CHECKLIST = {
    "Impact": "No injuries; the level 6 footwall drive stood for one shift while the area was made safe.",
    "Root cause": "A joint in the hanging wall that the pre-shift examination did not pick up.",
    "Actions taken": "Barricaded, scaled and re-supported; re-entry signed off by the geotechnical engineer.",
    "Residual risk": "Low: the extra support holds; drummy ground remains near the box and is monitored.",
    "Preventive tasks": "Pre-shift sounding of the hanging wall in every footwall drive, owned by the shift boss.",
}


@pytest.fixture(autouse=True)
def _rules_only_review(settings) -> None:
    settings.IWMS_REVIEW_LLM_URL = ""


def texts(location: str, variant: int = 0) -> dict[str, str]:
    """Evidence texts of one incident. Each incident tells its own story (`variant`), so the
    review's checks across the tenant (the same file, text copied from another incident) find
    nothing to object to."""
    if variant:
        return {
            EvidenceKind.NARRATIVE: f"I was at the cubby with the drill rig when the sidewall at {location} gave "
            "way; I counted my crew of three, all safe, and reported to the shift boss.",
            EvidenceKind.MEASUREMENT: f"Wedge 1.1 x 0.8 x 0.3 m; sidewall drummy over 4 m at {location}.",
            EvidenceKind.EXTERNAL_REFERENCE: f"DMRE reference KRD-2026-052{location[-1]}",
            EvidenceKind.SIGN_OFF: f"Sidewall at {location} re-supported with mesh and split sets; cleared for "
            "re-entry by the geotechnical engineer.",
        }
    return {
        EvidenceKind.NARRATIVE: f"The slab fell from the hanging wall at {location}; the crew of four was "
        "accounted for at the waiting place and nobody was injured.",
        EvidenceKind.MEASUREMENT: f"Hanging wall sounding at {location}: 3 of 12 points drummy; slab 0.5 x 1.2 m.",
        EvidenceKind.EXTERNAL_REFERENCE: f"DMRE notification KRD-2026-041{location[-1]}",
        EvidenceKind.SIGN_OFF: f"Working place at {location} signed off for re-entry after scaling and support.",
    }


def narrative(location: str, place: str, variant: int = 0) -> str:
    if variant:
        return (
            f"Shortly after the blast was cleared a wedge of rock dropped out of the sidewall at {location}, {place}, "
            "where a joint crossed the drive. The drill rig stood back at the cubby, no one was underneath, and the "
            "shift boss closed the drive with danger boards."
        )
    return (
        f"At 06:40 a slab of about a metre fell from the hanging wall at {location}, {place}. The crew had "
        "withdrawn for the pre-shift examination; nobody was injured and both access ways were barricaded at once."
    )


def work_through(incident: Incident, variant: int = 0) -> None:
    """Every mandatory step gets the evidence it needs from its executor and is completed."""
    own = texts(incident.location, variant)
    for step in work.workflow_of(incident).steps.filter(mandatory=True).order_by("position"):
        actor = User.objects.get(pk=step.executor_id)
        for kind in step.required_evidence:
            fields = {
                "kind": kind,
                "source": EvidenceSource.UPLOAD,
                "collected_at": timezone.now() - timedelta(minutes=2),
                "relevance": f"Recorded for {step.name.lower()}",
                "location": incident.location,
            }
            if kind == EvidenceKind.PHOTO:
                fields["upload"] = png(next(COLOURS))
            elif kind == EvidenceKind.DOCUMENT:
                fields["upload"] = pdf_upload()
            else:
                fields["text"] = f"{own[kind]} (step {step.position})"
            work.add_step_evidence(incident=incident, step=Step.objects.get(pk=step.pk), actor=actor, **fields)
        work.complete_step(incident=incident, step=Step.objects.get(pk=step.pk), actor=actor)


def pending_fall(
    tenant, people, title: str, location: str, place: str, severity: Severity, variant: int = 0
) -> Incident:
    incident = worked_fall(tenant, people, title, location, place, severity, variant)
    done = complete_and_review(incident, people["responsible"])
    assert done.status == IncidentStatus.PENDING_CLOSURE, work.workflow_of(done).reviews.last().findings
    return done


def worked_fall(
    tenant, people, title: str, location: str, place: str, severity: Severity, variant: int = 0
) -> Incident:
    """A fall of ground in progress whose mandatory steps are all done: ready for Complete."""
    incident = create_incident(
        tenant=tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=tenant, code="SAF.GEO.FOG"),
        title=title,
        narrative=narrative(location, place, variant),
        location=location,
        severity=severity,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(hours=3),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
        actor=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=incident, actor=people["reporter"])
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    work_through(incident, variant)
    return incident


@pytest.fixture
def two_pending(demo_tenant) -> tuple[Incident, Incident]:
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    to_reject = pending_fall(
        demo_tenant,
        people,
        "Fall of ground at the level 8 loading box",
        "Shaft 2, level 8",
        "next to the loading box",
        Severity.SEV2,
    )
    to_approve = pending_fall(
        demo_tenant,
        people,
        "Slab fall in the level 6 footwall drive",
        "Shaft 2, level 6",
        "in the footwall drive",
        Severity.SEV3,
        variant=1,
    )
    return to_reject, to_approve


def test_supervisor_rejects_one_incident_and_approves_another(page, two_pending, screenshot):
    to_reject, to_approve = two_pending
    log_in(page, "supervisor", settings.IWMS_DEMO_PASSWORD)
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Pieter Botha")

    # --- The queue: both incidents, most urgent (SEV-2, earlier resolve deadline) first ----------
    page.get_by_test_id("nav-closure-queue").click()
    expect(page).to_have_url(re.compile(r"/queue/closure/$"))
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-reference", to_reject.reference)
    expect(rows.nth(1)).to_have_attribute("data-reference", to_approve.reference)
    expect(rows.nth(0).get_by_test_id("queue-review")).to_contain_text("satisfied")
    expect(rows.nth(0).get_by_role("link", name="Steps and evidence")).to_have_attribute(
        "href", f"/incidents/{to_reject.reference}/work/"
    )
    # Filtering answers with the list only (HTMX) and keeps the filter in the address.
    page.get_by_label("Severity").select_option("sev3")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"severity=sev3"))
    page.get_by_label("Severity").select_option("")
    expect(rows).to_have_count(2)
    screenshot("closure-1-queue")

    # --- Reject the first: instructions become a corrective workflow ----------------------------
    rows.nth(0).get_by_test_id("decide").click()
    expect(page).to_have_url(re.compile(rf"/queue/closure/{to_reject.reference}/$"))
    expect(page.get_by_test_id("decider-position")).to_contain_text("You decide as Mine Overseer")
    page.get_by_text("Reject — send back with instructions").click()
    expect(page.get_by_test_id("approve-form")).not_to_have_attribute("open", "")  # one decision open at a time
    page.get_by_label("Instructions for the responsible person").fill(INSTRUCTIONS)
    page.get_by_label("Instructions for the responsible person").scroll_into_view_if_needed()
    screenshot("closure-2-reject")
    page.get_by_test_id("reject").click()
    expect(page).to_have_url(re.compile(r"/queue/closure/$"))
    expect(page.locator(".notice-success, .notice")).to_contain_text(
        f"{to_reject.reference} rejected: a corrective workflow went to Sipho Dlamini"
    )
    expect(rows).to_have_count(1)

    # --- Approve the second with the closure checklist -----------------------------------------
    rows.nth(0).get_by_test_id("decide").click()
    expect(page).to_have_url(re.compile(rf"/queue/closure/{to_approve.reference}/$"))
    approve = page.get_by_test_id("approve-form")
    for label, text in CHECKLIST.items():
        approve.get_by_label(label, exact=True).fill(text)
    approve.get_by_test_id("approve").scroll_into_view_if_needed()
    screenshot("closure-3-approve")
    approve.get_by_test_id("approve").click()
    expect(page).to_have_url(re.compile(r"/queue/closure/$"))
    expect(page.locator(".notice").first).to_contain_text(f"{to_approve.reference} closed")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()

    rejected = Incident.objects.get(pk=to_reject.pk)
    approved = Incident.objects.get(pk=to_approve.pk)
    assert rejected.status == IncidentStatus.IN_PROGRESS and approved.status == IncidentStatus.CLOSED
    corrective = WorkflowRun.objects.get(kind=RunKind.CORRECTIVE, subject_id=str(rejected.pk))
    assert corrective.steps.get().instructions == INSTRUCTIONS
    decision = ClosureDecision.objects.get(incident=approved)
    assert decision.decider.username == "supervisor" and decision.decider_position.code == "mine-overseer"
    assert decision.preventive_tasks == CHECKLIST["Preventive tasks"]

    # The responsible person finds the supervisor's instructions on the work page.
    page.get_by_role("button", name="Sign out").click()
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Sipho Dlamini")
    page.goto(f"/incidents/{rejected.reference}/work/")
    expect(page.get_by_test_id("completion-blockers")).to_contain_text("The supervisor's instructions are not yet")
    expect(page.get_by_test_id(f"step-{corrective.steps.get().key}")).to_contain_text("Install two extra roof bolts")
