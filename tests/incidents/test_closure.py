"""Two-level closure: the supervisor's decisions on an incident pending closure (approve with
the checklist, override the review, reject with a corrective workflow, ask for more evidence,
report an organogram mismatch), segregation of duties, vacant supervisors, reopening and
re-routing — each decision audited with the decider's position."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.choices import DecisionKind, IncidentStatus, Severity, SignalKind, Source, SystemReason
from incidents.closure.services import closure, invalidation, mismatches
from incidents.closure.services.closure import Checklist
from incidents.core import lifecycle
from incidents.core.clocks import compute_next_clock
from incidents.core.routing import decider_of, decision_scope
from incidents.models import ClosureDecision, Escalation, Incident, MaturitySignal
from incidents.work.selectors import requested_evidence
from incidents.work.services import execution as work
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification, User
from organogram.hierarchy import assignments_at
from organogram.models import Position, PositionAssignment
from organogram.services import assign_person, end_assignment
from tests.incidents.test_review_loop import complete_and_review
from workflows.choices import EvidenceKind, EvidenceSource, RunKind, RunStatus, StepStatus, Verdict
from workflows.models import Review, Step, WorkflowRun

CHECKLIST = Checklist(
    impact="No injuries; the loading box at level 8 stood for one shift.",
    root_cause="An undetected joint in the hanging wall, missed at the pre-shift examination.",
    actions_taken="Area barricaded, scaled and re-supported; re-entry signed off by the geotechnical engineer.",
    residual_risk="Low once the extra bolting is in; drummy ground remains near the box.",
    preventive_tasks="Pre-shift sounding of the hanging wall at loading boxes, owned by the shift boss.",
)


def position(code: str) -> Position:
    return Position.objects.get(code=code)


def refusals(code: str) -> int:
    return AuditEvent.objects.filter(
        action__in=["access_denied", "input_refused", "transition_denied"], changes__code=code
    ).count()


def vacate(code: str) -> User:
    assignment = assignments_at().get(position__code=code)
    end_assignment(assignment=assignment, ends_at=timezone.now() - timedelta(seconds=1))
    return assignment.person


# --- approve ---------------------------------------------------------------------------------


def test_supervisor_approves_with_the_checklist_and_the_incident_closes(pending, people):
    incident = pending()
    decision = closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED and incident.closed_at is not None
    assert decision.kind == DecisionKind.APPROVE and decision.decider == people["supervisor"]
    assert decision.decider_position == position("mine-overseer")
    assert decision.review == Review.objects.get(run=work.workflow_of(incident))
    assert decision.root_cause == CHECKLIST.root_cause
    event = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(incident.pk)).last()
    assert event.changes["status"] == ["pending_closure", "closed"]
    assert event.changes["decider_position"] == {"id": position("mine-overseer").pk, "title": "Mine Overseer"}
    assert event.actor == people["supervisor"]
    note = Notification.objects.get(recipient=people["responsible"], event="closure.approve")
    assert incident.reference in note.subject and note.object_id == str(decision.pk)


def test_incomplete_checklist_is_refused_field_by_field_and_audited(pending, people):
    incident = pending()
    thin = Checklist(
        impact="", root_cause="joint", actions_taken=CHECKLIST.actions_taken, residual_risk=" ", preventive_tasks=""
    )
    with pytest.raises(PolicyError) as refused:
        closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=thin)
    assert refused.value.code == "closure.checklist_incomplete"
    assert set(refused.value.context["errors"]) == {"impact", "root_cause", "residual_risk", "preventive_tasks"}
    assert "Root cause" in refused.value.context["errors"]["root_cause"]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.PENDING_CLOSURE and not ClosureDecision.objects.exists()
    assert refusals("closure.checklist_incomplete") == 1


def corrections_required_review(incident) -> Review:
    """A last review with an open finding on a pending-closure incident (only reachable through
    data repair, which is why the override exists)."""
    run = work.workflow_of(incident)
    return Review.objects.create(
        organisation=incident.organisation,
        run=run,
        sequence=run.reviews.count() + 1,
        engine="rules",
        version="test",
        input_digest="0" * 64,
        verdict=Verdict.CORRECTIONS_REQUIRED,
        findings=[{"code": "evidence.duplicate", "step": "make_safe", "message": "The photo repeats another step's."}],
        pack={},
    )


def test_open_findings_block_approval_and_the_override_closes_with_a_maturity_signal(pending, people):
    incident = pending()
    review = corrections_required_review(incident)
    with pytest.raises(PolicyError) as refused:
        closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    assert refused.value.code == "closure.findings_open"
    with pytest.raises(PolicyError) as short:
        closure.override_review(
            incident=incident, actor=people["supervisor"], checklist=CHECKLIST, justification="It is fine."
        )
    assert short.value.code == "validation.invalid" and short.value.context["field"] == "justification"
    why = "The second photo shows the same barricade from the other access way; it is not a copy."
    decision = closure.override_review(
        incident=incident, actor=people["supervisor"], checklist=CHECKLIST, justification=why
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert decision.kind == DecisionKind.OVERRIDE and decision.justification == why and decision.review == review
    signal = MaturitySignal.objects.get(kind=SignalKind.REVIEW_OVERRIDDEN)
    assert signal.incident == incident and signal.unit == position("shift-boss-a").unit


def test_override_is_refused_when_the_review_has_no_findings(pending, people):
    incident = pending()
    with pytest.raises(PolicyError) as refused:
        closure.override_review(
            incident=incident,
            actor=people["supervisor"],
            checklist=CHECKLIST,
            justification="Overriding a satisfied review makes no sense at all, and is refused.",
        )
    assert refused.value.code == "transition.not_allowed"
    assert not MaturitySignal.objects.exists()


# --- reject and more evidence -----------------------------------------------------------------


def narrate(incident, step, actor) -> None:
    work.add_step_evidence(
        incident=incident,
        step=Step.objects.select_related("run__responsible", "assignee").get(pk=step.pk),
        actor=actor,
        kind=EvidenceKind.NARRATIVE,
        source=EvidenceSource.UPLOAD,
        collected_at=timezone.now() - timedelta(minutes=1),
        relevance="What was done on the supervisor's instructions",
        text="Extra bolts installed at the loading box on level 8 and the hanging wall sounded again; "
        "all twelve points sound solid.",
        location=incident.location,
    )


def test_reject_creates_a_corrective_workflow_that_blocks_completion_until_done(pending, people):
    incident = pending()
    instructions = "Install two extra roof bolts at the loading box and photograph them."
    decision = closure.reject_closure(incident=incident, actor=people["supervisor"], instructions=instructions)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IN_PROGRESS and decision.kind == DecisionKind.REJECT
    corrective = WorkflowRun.objects.get(kind=RunKind.CORRECTIVE)
    assert corrective.subject_id == str(incident.pk) and corrective.responsible == people["responsible"]
    assert corrective.requested_by == people["supervisor"] and corrective.status == RunStatus.OPEN
    step = corrective.steps.get()
    assert step.name == "Carry out the supervisor's instructions" and step.instructions == instructions
    assert step.required_evidence == [EvidenceKind.NARRATIVE] and step.mandatory
    assert step.position == work.workflow_of(incident).steps.count() + 1
    assert Notification.objects.get(recipient=people["responsible"], event="closure.reject").url.endswith("/work/")

    blockers = work.completion_blockers(incident, work.workflow_of(incident))
    assert any("supervisor's instructions" in reason for reason in blockers)
    with pytest.raises(PolicyError) as refused:
        work.complete_work(incident=incident, actor=people["responsible"])
    assert refused.value.code == "workflow.steps_incomplete"

    narrate(incident, step, people["responsible"])
    work.complete_step(incident=incident, step=Step.objects.get(pk=step.pk), actor=people["responsible"])
    assert work.completion_blockers(incident, work.workflow_of(incident)) == []
    again = complete_and_review(incident, people["responsible"])
    assert again.status == IncidentStatus.PENDING_CLOSURE
    closure.approve_closure(incident=again, actor=people["supervisor"], checklist=CHECKLIST)
    corrective.refresh_from_db()
    assert corrective.status == RunStatus.RESOLVED


def test_reject_needs_instructions(pending, people):
    incident = pending()
    with pytest.raises(PolicyError) as refused:
        closure.reject_closure(incident=incident, actor=people["supervisor"], instructions="redo it")
    assert refused.value.code == "validation.invalid" and refused.value.context["field"] == "instructions"
    assert not WorkflowRun.objects.filter(kind=RunKind.CORRECTIVE).exists()


def test_more_evidence_reopens_the_named_steps_and_lists_the_items(pending, people):
    incident = pending()
    items = [
        {"step": "make_safe", "item": "A photo of the barricade from the second access way"},
        {"step": "make_safe", "item": "The barricade register entry for the shift"},
    ]
    decision = closure.request_more_evidence(incident=incident, actor=people["supervisor"], items=items)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IN_PROGRESS and decision.requested_items == items
    statuses = {s.key: s.status for s in work.workflow_of(incident).steps.all()}
    assert statuses["make_safe"] == StepStatus.IN_PROGRESS
    assert [key for key, status in statuses.items() if status == StepStatus.IN_PROGRESS] == ["make_safe"]
    assert requested_evidence(incident) == items
    assert Notification.objects.filter(recipient=people["responsible"], event="closure.more_evidence").count() == 1
    with pytest.raises(PolicyError):
        work.complete_work(incident=incident, actor=people["responsible"])


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "at least one"),
        ([{"step": "no_such_step", "item": "A photo of something relevant"}], "no step"),
        ([{"step": "make_safe", "item": "photo"}], "at least 10"),
    ],
)
def test_more_evidence_needs_named_items_on_real_steps(pending, people, items, message):
    incident = pending()
    with pytest.raises(PolicyError) as refused:
        closure.request_more_evidence(incident=incident, actor=people["supervisor"], items=items)
    assert refused.value.code == "validation.invalid" and message in refused.value.message
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.PENDING_CLOSURE


# --- who decides ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("reporter", "closure.segregation_of_duties"),
        ("responsible", "closure.segregation_of_duties"),
        ("lmabuza", "closure.not_supervisor"),  # two levels below the supervisor
        ("kmokoena", "closure.not_supervisor"),  # a peer of the responsible person
        ("depthead", "closure.not_supervisor"),  # above, but nothing escalated to her
    ],
)
def test_only_the_holder_one_level_up_decides(pending, people, username, code):
    incident = pending()
    with pytest.raises(PolicyError) as refused:
        closure.approve_closure(incident=incident, actor=people[username], checklist=CHECKLIST)
    assert refused.value.code == code
    with pytest.raises(PolicyError):
        closure.reject_closure(incident=incident, actor=people[username], instructions="Do it all again, properly.")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.PENDING_CLOSURE and not ClosureDecision.objects.exists()
    assert refusals(code) == 2


def test_no_decision_on_an_incident_that_is_not_pending_closure(make_incident, people):
    incident = make_incident()
    with pytest.raises(PolicyError) as refused:
        closure.reject_closure(incident=incident, actor=people["supervisor"], instructions="Do it all again, properly.")
    assert refused.value.code == "transition.not_allowed"


def test_a_person_the_incident_escalated_to_decides_from_their_position(pending, people, mine):
    incident = pending()
    Escalation.objects.create(
        organisation=mine,
        incident=incident,
        level=2,
        to_person=people["depthead"],
        to_position=position("mining-manager"),
        reason="Resolve deadline missed",
        escalated_at=timezone.now(),
    )
    decision = closure.approve_closure(incident=incident, actor=people["depthead"], checklist=CHECKLIST)
    assert decision.decider_position == position("mining-manager")


def test_vacant_supervisor_routes_to_the_next_filled_level_and_signals_once(pending, people):
    incident = pending()
    vacate("mine-overseer")
    with pytest.raises(PolicyError) as refused:
        closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    assert refused.value.code == "closure.not_supervisor"
    closure.request_more_evidence(
        incident=incident,
        actor=people["depthead"],
        items=[{"step": "close_out", "item": "The close-out summary signed by the shift boss"}],
    )
    signal = MaturitySignal.objects.get(kind=SignalKind.VACANT_SUPERVISOR)
    assert signal.incident == incident and signal.unit == position("mine-overseer").unit
    assert "Mine Overseer is vacant" in signal.detail
    close_out = Step.objects.get(run=work.workflow_of(incident), key="close_out")
    narrate(incident, close_out, people["responsible"])
    work.complete_step(incident=incident, step=Step.objects.get(pk=close_out.pk), actor=people["responsible"])
    again = complete_and_review(incident, people["responsible"])
    decision = closure.approve_closure(incident=again, actor=people["depthead"], checklist=CHECKLIST)
    assert decision.decider_position == position("mining-manager")
    assert MaturitySignal.objects.filter(kind=SignalKind.VACANT_SUPERVISOR).count() == 1


def test_the_supervisor_who_reported_it_is_passed_over(pending, people):
    incident = pending(reporter=people["supervisor"])
    route = decider_of(incident)
    assert route.passed_reporter and route.level.holder == people["depthead"]
    with pytest.raises(PolicyError) as refused:
        closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    assert refused.value.code == "closure.segregation_of_duties"
    closure.approve_closure(incident=incident, actor=people["depthead"], checklist=CHECKLIST)


def test_supervised_people_follow_the_organogram_through_vacant_positions(mine, people):
    assert set(decision_scope(people["supervisor"]).person_ids) == {people["responsible"].pk, people["kmokoena"].pk}
    assert decision_scope(people["reporter"]).person_ids == []
    vacate("mine-overseer")
    below_head = set(decision_scope(people["depthead"]).person_ids)
    assert {people["responsible"].pk, people["kmokoena"].pk, people["zndlovu"].pk} <= below_head
    assert people["reporter"].pk not in below_head


# --- organogram mismatch and re-routing -----------------------------------------------------


def test_mismatch_raises_a_governance_incident_for_the_department_head(pending, people):
    incident = pending()
    note = "Sipho moved to the plant last week; the shift boss position here is being re-graded."
    decision = mismatches.report_organogram_mismatch(incident=incident, actor=people["supervisor"], note=note)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.PENDING_CLOSURE
    spawned = decision.spawned_incident
    assert decision.kind == DecisionKind.ORGANOGRAM_MISMATCH and decision.instructions == note
    assert spawned.source == Source.SYSTEM and spawned.system_reason == SystemReason.ORGANOGRAM_MISMATCH
    assert spawned.parent == incident and spawned.owner == spawned.responsible == people["depthead"]
    assert spawned.owner_position == position("mining-manager") and spawned.reporter is None
    assert "not a finding against anyone" in spawned.narrative and note in spawned.narrative
    run = work.workflow_of(spawned)
    assert run.template.code == "organogram_mismatch"
    keys = list(run.steps.order_by("position").values_list("key", flat=True))
    assert keys[:2] == ["review_mismatch", "correct_structure"] and "routing_check" in keys
    assert keys.index("routing_check") < keys.index("reroute_original")
    assert MaturitySignal.objects.get(kind=SignalKind.ORGANOGRAM_MISMATCH).incident == incident
    event = AuditEvent.objects.filter(action="link", object_id=str(incident.pk)).get()
    assert (
        event.changes["spawned_incident"] == spawned.pk
        and event.changes["decider_position"]["title"] == "Mine Overseer"
    )
    with pytest.raises(PolicyError) as again:
        mismatches.report_organogram_mismatch(incident=incident, actor=people["supervisor"], note=note)
    assert again.value.code == "transition.not_allowed" and spawned.reference in again.value.message


def test_reroute_waits_for_the_structure_then_moves_responsibility_with_a_trace(pending, people, mine):
    incident = pending(severity=Severity.SEV3)  # no acceptance needed below SEV-2
    mismatch = mismatches.report_organogram_mismatch(
        incident=incident, actor=people["supervisor"], note="Thabo works on Shift B now; the line is out of date."
    ).spawned_incident
    with pytest.raises(PolicyError) as not_yours:
        mismatches.reroute_incident(incident=incident, actor=people["supervisor"])
    assert not_yours.value.code == "access_denied"
    lifecycle.acknowledge_incident(incident=mismatch, actor=people["depthead"])

    # The department head corrects the structure: Thabo now holds a Shift B post.
    thabo = people["reporter"]
    for assignment in PositionAssignment.objects.filter(ends_at__isnull=True, person__in=[thabo, people["bzulu"]]):
        end_assignment(assignment=assignment, ends_at=timezone.now() - timedelta(seconds=2))
    assign_person(position=position("miner-b1"), person=thabo, starts_at=timezone.now() - timedelta(seconds=1))

    rerouted = mismatches.reroute_incident(incident=incident, actor=people["depthead"])
    assert rerouted.responsible == people["kmokoena"] and rerouted.status == IncidentStatus.PENDING_CLOSURE
    assert decider_of(rerouted).level.holder == people["supervisor"]
    event = AuditEvent.objects.filter(action="assign", object_id=str(incident.pk)).last()
    assert event.changes["responsible"] == [people["responsible"].pk, people["kmokoena"].pk]
    assert event.changes["decider_position"]["title"] == "Mine Overseer" and mismatch.reference in event.message
    from arc.models import Delegation

    trace = Delegation.objects.get(subject_type="incidents.incident", subject_id=str(incident.pk))
    assert trace.from_person == people["responsible"] and trace.to_person == people["kmokoena"]
    done = {s.key: s.status for s in work.workflow_of(mismatch).steps.all()}
    assert done["routing_check"] == done["reroute_original"] == StepStatus.COMPLETED


def test_reroute_is_refused_while_the_decider_position_is_still_vacant(pending, people, mine):
    incident = pending()
    vacate("mine-overseer")
    mismatch = mismatches.report_organogram_mismatch(
        incident=incident, actor=people["depthead"], note="The mine overseer left; nobody was appointed."
    ).spawned_incident
    with pytest.raises(PolicyError) as refused:
        mismatches.reroute_incident(incident=incident, actor=people["depthead"])
    assert refused.value.code == "transition.not_allowed" and "Mine Overseer" in refused.value.message
    newcomer = User.objects.create(organisation=mine, username="overseer2", first_name="Lindiwe", last_name="Dube")
    assign_person(position=position("mine-overseer"), person=newcomer)
    rerouted = mismatches.reroute_incident(incident=incident, actor=people["depthead"])
    assert rerouted.responsible == people["responsible"] and decider_of(rerouted).level.holder == newcomer
    assert mismatch.status == IncidentStatus.OPEN  # not being worked: its steps are left to its responsible person
    closure.approve_closure(incident=rerouted, actor=newcomer, checklist=CHECKLIST)


# --- reopen -----------------------------------------------------------------------------------


@pytest.fixture
def closed(pending, people):
    incident = pending()
    closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    return Incident.objects.get(pk=incident.pk)


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("supervisor", "reopen.approver_not_elevated"),  # the original decider
        ("kmokoena", "reopen.approver_not_elevated"),
        ("gjacobs", "reopen.approver_not_elevated"),  # head of another department
        ("responsible", "closure.segregation_of_duties"),
        ("reporter", "closure.segregation_of_duties"),
    ],
)
def test_reopen_needs_an_approver_above_the_original_decider(closed, people, username, code):
    with pytest.raises(PolicyError) as refused:
        closure.reopen_incident(
            incident=closed, actor=people[username], reason="The hanging wall failed again at the same place."
        )
    assert refused.value.code == code
    closed.refresh_from_db()
    assert closed.status == IncidentStatus.CLOSED


@pytest.mark.parametrize(("username", "code"), [("depthead", "mining-manager"), ("top", "gm")])
def test_reopen_keeps_lineage_and_recomputes_the_clocks(closed, people, username, code):
    with pytest.raises(PolicyError) as short:
        closure.reopen_incident(incident=closed, actor=people[username], reason="again")
    assert short.value.code == "validation.invalid" and short.value.context["field"] == "reason"
    before = timezone.now()
    decision = closure.reopen_incident(
        incident=closed, actor=people[username], reason="The hanging wall failed again at the same place."
    )
    incident = Incident.objects.get(pk=closed.pk)
    assert incident.status == IncidentStatus.IN_PROGRESS and incident.reopened_count == 1
    assert incident.closed_at is None
    assert decision.kind == DecisionKind.REOPEN and decision.decider_position == position(code)
    assert [d.kind for d in ClosureDecision.objects.filter(incident=incident)] == [
        DecisionKind.APPROVE,
        DecisionKind.REOPEN,
    ]
    # SEV-2 under the mine's standard policy (the seed targets): 15 min to acknowledge, 4 h to resolve.
    assert before + timedelta(minutes=15) <= incident.ack_due_at <= timezone.now() + timedelta(minutes=15)
    assert before + timedelta(hours=4) <= incident.resolve_due_at <= timezone.now() + timedelta(hours=4)
    # A new clock cycle from the reopen: acknowledged already, so the contain clock warns first
    # (the workflow's steps are all done); the workflow is open again.
    assert incident.clock_cycle == 1 and before <= incident.clock_started_at <= timezone.now()
    assert incident.next_clock_at == compute_next_clock(incident)
    assert incident.next_clock_at == incident.clock_start + (incident.contain_due_at - incident.clock_start) * 0.75
    assert work.workflow_of(incident).status == RunStatus.OPEN
    event = AuditEvent.objects.filter(object_id=str(incident.pk), message__startswith="Reopened").get()
    assert event.changes["status"] == ["closed", "in_progress"] and event.changes["decider_position"]["id"]
    assert Notification.objects.filter(recipient=people["responsible"], event="closure.reopen").count() == 1


def test_notifications_are_once_per_decision(pending, people):
    incident = pending()
    decision = closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    again = closure._notify(recipient=people["responsible"], decision=decision, subject="x", body="y", url="/")
    assert again.subject.startswith(incident.reference)
    assert Notification.objects.filter(event="closure.approve").count() == 1


# --- invalidating evidence an incident past its work relied on -------------------------------


def _photo_of_make_safe(incident):
    make_safe = Step.objects.get(run=work.workflow_of(incident), key="make_safe")
    return make_safe, make_safe.evidence.get(kind=EvidenceKind.PHOTO)


INVALID = "The photo is of another cross-cut, not of level 8."


@pytest.mark.parametrize(
    ("username", "code"),
    [("responsible", "closure.segregation_of_duties"), ("kmokoena", "closure.not_supervisor")],
)
def test_invalidating_evidence_pending_closure_is_the_deciders_rejection(pending, people, username, code):
    incident = pending()
    make_safe, photo = _photo_of_make_safe(incident)
    with pytest.raises(PolicyError) as refused:
        invalidation.invalidate_evidence(incident=incident, evidence=photo, actor=people[username], reason=INVALID)
    assert refused.value.code == code
    photo.refresh_from_db()
    assert photo.invalidated_at is None and not ClosureDecision.objects.exists()

    invalidation.invalidate_evidence(incident=incident, evidence=photo, actor=people["supervisor"], reason=INVALID)
    incident.refresh_from_db()
    make_safe.refresh_from_db()
    assert incident.status == IncidentStatus.IN_PROGRESS and make_safe.status == StepStatus.IN_PROGRESS
    decision = ClosureDecision.objects.get(incident=incident)
    assert (decision.kind, decision.decider, decision.decider_position) == (
        DecisionKind.REJECT,
        people["supervisor"],
        position("mine-overseer"),
    )
    assert INVALID in decision.instructions


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("responsible", "closure.segregation_of_duties"),
        ("supervisor", "reopen.approver_not_elevated"),  # the approver is not above himself
    ],
)
def test_invalidating_evidence_on_a_closed_incident_is_a_reopen_by_someone_above_the_approver(
    closed, people, username, code
):
    make_safe, photo = _photo_of_make_safe(closed)
    with pytest.raises(PolicyError) as refused:
        invalidation.invalidate_evidence(incident=closed, evidence=photo, actor=people[username], reason=INVALID)
    assert refused.value.code == code
    closed.refresh_from_db()
    assert closed.status == IncidentStatus.CLOSED and closed.reopened_count == 0

    before = timezone.now()
    invalidation.invalidate_evidence(incident=closed, evidence=photo, actor=people["depthead"], reason=INVALID)
    incident = Incident.objects.get(pk=closed.pk)
    make_safe.refresh_from_db()
    assert incident.status == IncidentStatus.IN_PROGRESS and incident.reopened_count == 1
    assert make_safe.status == StepStatus.IN_PROGRESS
    reopen = ClosureDecision.objects.get(incident=incident, kind=DecisionKind.REOPEN)
    assert reopen.decider == people["depthead"] and INVALID in reopen.justification
    assert reopen.decider_position == position("mining-manager")
    # the clocks start again from the reopen
    assert incident.ack_due_at >= before + timedelta(minutes=15)
    assert incident.next_clock_at == compute_next_clock(incident)
