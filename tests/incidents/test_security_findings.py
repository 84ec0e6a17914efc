"""Issue 13's security findings on closure and information requests: nobody decides on an
incident they were ever responsible for, reported or handed off; auditors and regulators are
never asked for information; a re-route on SEV-1/SEV-2 waits for acceptance like any hand-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from arc.choices import DelegationReason, DelegationStatus, Role
from arc.models import Delegation
from arc.services import grant_role
from incidents.choices import IncidentStatus, Severity
from incidents.closure.services import closure, mismatches
from incidents.core import lifecycle
from incidents.core.routing import decider_of
from incidents.core.services import incident_workflows
from incidents.models import ClosureDecision, Incident
from incidents.work.services import execution as work
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from organogram.models import Position, PositionAssignment
from organogram.services import assign_person, end_assignment
from tests.incidents.test_closure import CHECKLIST
from tests.incidents.test_review_loop import complete_and_review, work_through
from workflows.choices import RunKind, StepStatus
from workflows.models import Step, WorkflowRun

pytestmark = pytest.mark.django_db

RICH = (
    "At 09:40 a slab of about half a metre fell from the hanging wall next to the loading box at Shaft 2, "
    "level 8. The crew of four was at the waiting place; nobody was injured and the area was barricaded."
)


def hand_off(incident, actor, to_person):
    return work.delegate_incident(
        incident=incident,
        actor=actor,
        to_person=to_person,
        reason_code=DelegationReason.WORKLOAD,
        handoff_note="Andile is at the loading box and finishes the close-out today.",
    )


# --- self-approval through a hand-off --------------------------------------------------------


def test_no_hand_off_while_the_incident_is_pending_closure(pending, people):
    incident = pending(severity=Severity.SEV3)
    with pytest.raises(PolicyError) as refused:
        hand_off(incident, people["responsible"], people["aphiri"])  # his own subordinate
    assert refused.value.code == "transition.not_allowed"
    incident.refresh_from_db()
    assert incident.responsible == people["responsible"]
    assert not Delegation.objects.filter(subject_id=str(incident.pk)).exists()
    assert decider_of(incident).level.holder == people["supervisor"]


def test_whoever_was_responsible_never_decides_even_as_the_new_responsibles_supervisor(make_incident, people):
    incident = make_incident(severity=Severity.SEV3, narrative=RICH)
    incident_workflows.start_incident_workflow(incident=incident)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    hand_off(incident, people["responsible"], people["aphiri"])  # SEV-3: takes effect at once
    incident.refresh_from_db()
    assert incident.responsible == people["aphiri"]
    work_through(incident)
    incident = complete_and_review(incident, people["aphiri"])
    assert incident.status == IncidentStatus.PENDING_CLOSURE

    # Sipho is Andile's supervisor, but he worked the incident: he is passed over.
    with pytest.raises(PolicyError) as refused:
        closure.approve_closure(incident=incident, actor=people["responsible"], checklist=CHECKLIST)
    assert refused.value.code == "closure.segregation_of_duties"
    assert not ClosureDecision.objects.filter(incident=incident).exists()
    route = decider_of(incident)
    assert route.level.holder == people["supervisor"] and route.passed_reporter
    decision = closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    assert decision.decider == people["supervisor"]


def test_the_one_who_handed_off_cannot_reopen_either(pending, people):
    incident = pending(severity=Severity.SEV3)
    closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    with pytest.raises(PolicyError) as refused:
        closure.reopen_incident(
            incident=incident, actor=people["responsible"], reason="I want to redo the support myself."
        )
    assert refused.value.code == "closure.segregation_of_duties"


# --- information requests to read-only roles -------------------------------------------------


@pytest.fixture
def in_progress(make_incident, people):
    incident = make_incident(narrative=RICH)
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def first_own_step(incident, person) -> Step:
    steps = Step.objects.filter(run=work.workflow_of(incident)).select_related("run__responsible", "assignee")
    return next(step for step in steps.order_by("position") if step.executor_id == person.pk)


@pytest.mark.parametrize("username", ["auditor", "regulator"])
def test_auditors_and_regulators_are_never_asked_for_information(in_progress, people, username):
    step = first_own_step(in_progress, people["responsible"])
    with pytest.raises(PolicyError) as refused:
        work.pause_step(
            incident=in_progress,
            step=step,
            actor=people["responsible"],
            responsible=people[username],
            request="Which bolts were installed on this drive last month?",
            due_at=timezone.now() + timedelta(hours=2),
        )
    assert refused.value.code == "request.read_only_recipient"
    assert refused.value.context["field"] == "responsible"
    step.refresh_from_db()
    assert step.status != StepStatus.PAUSED
    assert not WorkflowRun.objects.filter(kind=RunKind.INFORMATION_REQUEST).exists()
    event = AuditEvent.objects.filter(changes__code="request.read_only_recipient").get()
    assert event.actor == people["responsible"]


def test_the_pause_form_does_not_offer_auditors_or_regulators(client, in_progress, people):
    client.force_login(people["responsible"])
    body = client.get(reverse("incident_work", args=[in_progress.reference])).content.decode()
    assert people["auditor"].get_full_name() not in body
    assert people["regulator"].get_full_name() not in body
    assert people["supervisor"].get_full_name() in body


def test_a_request_to_someone_who_became_an_auditor_is_refused_on_its_page(client, in_progress, people, mine):
    step = first_own_step(in_progress, people["responsible"])
    asked = people["kmokoena"]
    info = work.pause_step(
        incident=in_progress,
        step=step,
        actor=people["responsible"],
        responsible=asked,
        request="Which bolts were installed on this drive last month?",
        due_at=timezone.now() + timedelta(hours=2),
    )
    grant_role(tenant=mine, user=asked, role=Role.AUDITOR, reason="Seconded to internal audit.")
    client.force_login(asked)
    url = reverse("information_request", args=[info.pk])
    page = client.get(url)
    assert page.status_code == 403
    assert in_progress.reference not in page.content.decode() and in_progress.title not in page.content.decode()
    answer = client.post(url, {"resolution": "Resin bolts, 2.4 m, installed on the 3rd."})
    assert answer.status_code == 403
    with pytest.raises(PolicyError) as refused:
        work.resolve_information_request(request=info, actor=asked, resolution="Resin bolts, 2.4 m, on the 3rd.")
    assert refused.value.code == "access_denied"
    info.refresh_from_db()
    assert info.status == "open"


# --- re-routing after an organogram mismatch ---------------------------------------------------


def correct_structure(people):
    """The department head moves Thabo to a Shift B post: Kagiso becomes responsible."""
    thabo = people["reporter"]
    for assignment in PositionAssignment.objects.filter(ends_at__isnull=True, person__in=[thabo, people["bzulu"]]):
        end_assignment(assignment=assignment, ends_at=timezone.now() - timedelta(seconds=2))
    assign_person(
        position=Position.objects.get(code="miner-b1"), person=thabo, starts_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.parametrize("severity", [Severity.SEV1, Severity.SEV2])
def test_reroute_on_sev1_and_sev2_waits_for_acceptance(pending, people, severity):
    incident = pending(severity=severity)
    mismatch = mismatches.report_organogram_mismatch(
        incident=incident, actor=people["supervisor"], note="Thabo works on Shift B now; the line is out of date."
    ).spawned_incident
    lifecycle.acknowledge_incident(incident=mismatch, actor=people["depthead"])
    correct_structure(people)

    rerouted = mismatches.reroute_incident(incident=incident, actor=people["depthead"])
    assert rerouted.responsible == people["responsible"]  # nothing moved yet
    proposal = Delegation.objects.get(subject_type="incidents.incident", subject_id=str(incident.pk))
    assert proposal.status == DelegationStatus.PROPOSED and proposal.to_person == people["kmokoena"]
    event = AuditEvent.objects.filter(action="assign", object_id=str(incident.pk)).last()
    assert event.changes["awaiting_acceptance"] is True
    with pytest.raises(PolicyError) as twice:
        mismatches.reroute_incident(incident=incident, actor=people["depthead"])
    assert twice.value.code == "transition.not_allowed"
    assert Delegation.objects.filter(subject_id=str(incident.pk)).count() == 1

    work.decide_delegation(delegation=proposal, actor=people["kmokoena"], accept=True)
    taken = Incident.objects.get(pk=incident.pk)
    assert taken.responsible == people["kmokoena"] and taken.status == IncidentStatus.PENDING_CLOSURE
    assert decider_of(taken).level.holder == people["supervisor"]
