"""Journey (issue 13): the supervisor opens the decision page of a fall of ground pending
closure and finds the close-out summary and the evidence on the page, and the closure
checklist already drafted from that summary; he corrects one item and approves, without
retyping the other four."""

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
from tests.browser.test_closure_queue import texts
from tests.incidents.test_review_loop import COLOURS, pdf_upload
from tests.incidents.test_work import png
from workflows.choices import EvidenceKind, EvidenceSource
from workflows.models import Step

LOCATION = "Shaft 2, level 8"
SUMMARY = (
    "A slab of about a metre fell from the hanging wall next to the level 8 loading box; nobody was injured "
    "and the box stood for one shift. The cause was a joint in the hanging wall that the pre-shift "
    "examination did not pick up. The area was barricaded, scaled, and twelve roof bolts with mesh were "
    "installed and pull-tested. Residual risk is low once the extra bolting is in; drummy ground remains near "
    "the box. Pre-shift sounding of the hanging wall at every loading box will be added to the standard, "
    "owned by the shift boss."
)
PREVENTIVE = "Pre-shift sounding at every loading box from 1 January, owned by Sipho Dlamini (shift boss)."


@pytest.fixture(autouse=True)
def _rules_only_review(settings) -> None:
    settings.IWMS_REVIEW_LLM_URL = ""


@pytest.fixture
def pending(demo_tenant) -> Incident:
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    incident = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG"),
        title="Fall of ground at the level 8 loading box",
        narrative="At 06:40 a slab of about a metre fell from the hanging wall at Shaft 2, level 8, next to the "
        "loading box. The crew had withdrawn for the pre-shift examination; nobody was injured and both access "
        "ways were barricaded at once.",
        location=LOCATION,
        severity=Severity.SEV2,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(hours=3),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
        actor=people["reporter"],
    )
    incident_workflows.start_incident_workflow(incident=incident, actor=people["reporter"])
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    own = texts(LOCATION)
    for step in work.workflow_of(incident).steps.filter(mandatory=True).order_by("position"):
        actor = User.objects.get(pk=step.executor_id)
        for kind in step.required_evidence:
            fields = {
                "kind": kind,
                "source": EvidenceSource.UPLOAD,
                "collected_at": timezone.now() - timedelta(minutes=2),
                "relevance": f"Recorded for {step.name.lower()}",
                "location": LOCATION,
            }
            if kind == EvidenceKind.PHOTO:
                fields["upload"] = png(next(COLOURS))
            elif kind == EvidenceKind.DOCUMENT:
                fields["upload"] = pdf_upload()
            elif step.key == "close_out":
                fields["text"] = SUMMARY
            else:
                fields["text"] = f"{own[kind]} (step {step.position})"
            work.add_step_evidence(incident=incident, step=Step.objects.get(pk=step.pk), actor=actor, **fields)
        work.complete_step(incident=incident, step=Step.objects.get(pk=step.pk), actor=actor)
    done = work.complete_work(incident=incident, actor=people["responsible"])
    assert done.status == IncidentStatus.PENDING_CLOSURE, work.workflow_of(done).reviews.last().findings
    return done


def test_decision_page_shows_the_summary_and_drafts_the_checklist(page, pending, screenshot):
    log_in(page, "supervisor", settings.IWMS_DEMO_PASSWORD)
    page.get_by_test_id("nav-closure-queue").click()
    page.get_by_test_id("queue-row").first.get_by_test_id("decide").click()
    expect(page).to_have_url(re.compile(rf"/queue/closure/{pending.reference}/$"))

    summary = page.get_by_test_id("closeout-summary")
    expect(summary).to_contain_text("Write the close-out summary")
    expect(summary).to_contain_text("twelve roof bolts with mesh")
    steps = page.get_by_test_id("decision-steps")
    expect(steps.get_by_role("link", name="attendance.pdf").first).to_be_visible()
    expect(steps).to_contain_text("DMRE notification")

    approve = page.get_by_test_id("approve-form")
    expect(approve.get_by_test_id("checklist-prefilled")).to_contain_text("5 of 5 items")
    expect(approve.get_by_label("Root cause", exact=True)).to_have_value(
        re.compile(r"^The cause was a joint in the hanging wall")
    )
    expect(approve.get_by_label("Residual risk", exact=True)).to_have_value(re.compile(r"^Residual risk is low"))
    expect(approve.get_by_label("Actions taken", exact=True)).to_have_value(re.compile("twelve roof bolts"))
    screenshot("closure-summary-1-prefilled")

    approve.get_by_label("Preventive tasks", exact=True).fill(PREVENTIVE)
    approve.get_by_test_id("approve").scroll_into_view_if_needed()
    screenshot("closure-summary-2-edited")
    approve.get_by_test_id("approve").click()
    expect(page).to_have_url(re.compile(r"/queue/closure/$"))
    expect(page.locator(".notice").first).to_contain_text(f"{pending.reference} closed")

    decision = ClosureDecision.objects.get(incident=pending)
    assert decision.preventive_tasks == PREVENTIVE
    assert decision.root_cause.startswith("The cause was a joint in the hanging wall")
    assert decision.impact.startswith("A slab of about a metre fell")
    assert Incident.objects.get(pk=pending.pk).status == IncidentStatus.CLOSED
