"""The closure decision page shows the close-out summary and the evidence, and drafts the
closure checklist from the summary for the decider to check and edit (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.closure.closeout import draft_checklist
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import ClosureDecision
from incidents.work.services import execution as work
from tests.incidents.test_review_loop import complete_and_review, satisfy
from workflows.choices import EvidenceKind, EvidenceSource
from workflows.models import Step

pytestmark = pytest.mark.django_db

SUMMARY = (
    "A slab of about half a metre fell from the hanging wall next to the loading box at Shaft 2, level 8; "
    "nobody was injured and the box stood for one shift. The cause was an undetected joint in the hanging "
    "wall, missed at the pre-shift examination. The area was barricaded, scaled and twelve roof bolts with "
    "mesh were installed and pull-tested. Residual risk is low once the extra bolting is in; drummy ground "
    "remains near the box. Pre-shift sounding of the hanging wall at loading boxes will be added to the "
    "standard, owned by the shift boss."
)


def test_a_prose_summary_is_drafted_sentence_by_sentence():
    draft = draft_checklist(SUMMARY)
    assert draft["impact"].startswith("A slab of about half a metre fell")
    assert draft["root_cause"].startswith("The cause was an undetected joint")
    assert "twelve roof bolts" in draft["actions_taken"]
    assert draft["residual_risk"].startswith("Residual risk is low")
    assert "Pre-shift sounding" in draft["preventive_tasks"]


def test_a_summary_with_the_checklist_headings_is_split_at_them():
    draft = draft_checklist(
        "Impact: one conveyor idler damaged, two hours of downtime.\n"
        "Root cause: a seized bearing.\nActions taken: idler replaced, belt re-tracked.\n"
        "Residual risk: low.\nPreventive tasks: bearing checks weekly, owned by the plant foreman."
    )
    assert draft == {
        "impact": "one conveyor idler damaged, two hours of downtime.",
        "root_cause": "a seized bearing.",
        "actions_taken": "idler replaced, belt re-tracked.",
        "residual_risk": "low.",
        "preventive_tasks": "bearing checks weekly, owned by the plant foreman.",
    }


def test_nothing_is_invented_for_an_empty_summary():
    assert draft_checklist("") == {}


@pytest.fixture
def pending_with_summary(make_incident, people):
    incident = make_incident(
        narrative="At 09:40 a slab of about half a metre fell from the hanging wall next to the loading "
        "box at Shaft 2, level 8. The crew of four was at the waiting place; nobody was injured and "
        "the area was barricaded at once."
    )
    incident_workflows.start_incident_workflow(incident=incident)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    for step in work.workflow_of(incident).steps.order_by("position"):
        if step.key == "close_out":
            work.add_step_evidence(
                incident=incident,
                step=Step.objects.get(pk=step.pk),
                actor=people["responsible"],
                kind=EvidenceKind.NARRATIVE,
                source=EvidenceSource.UPLOAD,
                collected_at=timezone.now() - timedelta(minutes=1),
                relevance="Close-out summary",
                location=incident.location,
                text=SUMMARY,
            )
            work.complete_step(incident=incident, step=Step.objects.get(pk=step.pk), actor=people["responsible"])
        elif step.mandatory:
            satisfy(incident, step)
    outcome = complete_and_review(incident, people["responsible"])
    assert outcome.status == IncidentStatus.PENDING_CLOSURE
    return outcome


def test_the_decision_page_shows_the_summary_the_evidence_and_a_prefilled_checklist(
    client, people, pending_with_summary
):
    incident = pending_with_summary
    client.force_login(people["supervisor"])
    response = client.get(reverse("closure_decision", args=[incident.reference]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="closeout-summary"' in page and "The cause was an undetected joint" in page
    assert 'data-testid="checklist-prefilled"' in page and "(5 of 5 items)" in page
    form = response.context["checklist_form"]
    assert form.initial["root_cause"].startswith("The cause was an undetected joint")
    assert 'name="root_cause"' in page and "The cause was an undetected joint in the hanging" in page
    photo = next(e for e in work.workflow_of(incident).steps.get(key="make_safe").evidence.all())
    assert reverse("evidence_file", args=[incident.reference, photo.pk, "download"]) in page

    # Approving sends the (edited) draft; what was signed is what was sent.
    post = {name: form.initial[name] for name in form.initial}
    post["preventive_tasks"] = "Pre-shift sounding at every loading box, owned by the shift boss from 1 January."
    response = client.post(reverse("closure_approve", args=[incident.reference]), post)
    assert response.status_code == 302
    decision = ClosureDecision.objects.get(incident=incident)
    assert decision.root_cause == form.initial["root_cause"]
    assert decision.preventive_tasks == post["preventive_tasks"]


def test_a_refused_approval_keeps_what_the_decider_typed(client, people, pending_with_summary):
    incident = pending_with_summary
    client.force_login(people["supervisor"])
    response = client.post(
        reverse("closure_approve", args=[incident.reference]),
        {"impact": "Typed by the decider, kept.", "root_cause": "short"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert (
        "Typed by the decider, kept." in page
        and "The cause was an undetected joint" not in page.split('name="root_cause"')[1][:400]
    )
