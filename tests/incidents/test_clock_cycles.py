"""Clocks per cycle and clocks that stop: a reopened incident warns, breaches and escalates
afresh (the earlier cycle's records stay); the main workflow closes and reopens with its
incident; containment stops the contain clock; submitting stops the resolve clock and
corrections restart it with the time that was left; the closure decision has its own clock;
SEV-4 records its breach without escalating; step due dates fit inside the resolve deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.choices import ClockKind, Severity, SystemReason
from incidents.core import clocks as core_clocks
from incidents.core import lifecycle
from incidents.core.clocks import refresh_next_clock
from incidents.core.services import incident_workflows
from incidents.models import Breach, BreachWarning, Escalation, Incident, SlaPolicy
from incidents.sla.services import clock_changes as sla_clock_changes
from incidents.sla.services import escalation
from incidents.sla.services.sweep import sweep_due
from incidents.work.services import execution as work
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from iwms.transitions import run_transition
from tests.incidents.test_sweep import notified
from workflows.choices import RunStatus, StepStatus
from workflows.models import WorkflowRun

SUPERVISOR = "automated review"


def at(moment):
    return time_machine.travel(moment, tick=False)


def stored(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def failures_of(incident):
    return Incident.objects.filter(parent=incident, system_reason=SystemReason.OVERDUE)


def close(incident, people):
    """Straight to closed, the way the closure service's last step moves it (the clock tests
    care about the clocks, not about the checklist or the review)."""
    incident = lifecycle._submit_for_review(incident=incident, actor=people["responsible"])
    incident = lifecycle._accept_review(incident=incident, actor=SUPERVISOR)
    closed = run_transition(
        incident,
        "approve_closure",
        actor=people["supervisor"],
        action=AuditAction.CLOSE,
        message="Closure approved.",
        at=timezone.now(),
    )
    refresh_next_clock(closed)
    lifecycle.close_workflow(incident=closed, actor=people["supervisor"])
    return closed


def refusals(code: str) -> int:
    return sum(
        1
        for event in AuditEvent.objects.filter(action__in=["access_denied", "input_refused", "transition_denied"])
        if event.changes.get("code") == code
    )


# --- clock cycles ------------------------------------------------------------------------------


def test_a_reopened_incident_warns_breaches_and_escalates_again_in_its_new_cycle(make_incident, people):
    incident = make_incident(severity=Severity.SEV2)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    with at(incident.resolve_due_at + timedelta(seconds=1)):
        sweep_due()
    first_cycle = set(Breach.objects.filter(incident=incident).values_list("cycle", "clock"))
    assert (0, ClockKind.RESOLVE) in first_cycle
    assert Escalation.objects.get(incident=incident).cycle == 0
    assert failures_of(incident).count() == 1

    with at(incident.resolve_due_at + timedelta(minutes=5)):
        closed = close(stored(incident), people)
    reopened_at = closed.closed_at + timedelta(hours=1)
    with at(reopened_at):
        reopened = lifecycle._reopen(incident=closed, actor=people["depthead"], reason="The hanging wall failed again.")
    assert (reopened.clock_cycle, reopened.clock_started_at, reopened.escalation_level) == (1, reopened_at, 0)
    assert reopened.resolve_due_at == reopened_at + timedelta(hours=4)
    assert reopened.contain_due_at == reopened_at + (timedelta(minutes=15) + timedelta(hours=4)) / 2
    # The new cycle's warnings run from the reopen, not from the report: first the workflow it
    # gets now (its 1-hour steps warn at 45 min), then the contain clock.
    assert reopened.next_clock_at == reopened_at + timedelta(minutes=45)

    with at(reopened_at + (reopened.contain_due_at - reopened_at) * 0.75):
        sweep_due()
    assert BreachWarning.objects.filter(incident=incident, cycle=1, clock=ClockKind.CONTAIN).count() == 1
    with at(reopened.resolve_due_at + timedelta(seconds=1)):
        report = sweep_due()
    assert report.escalations >= 1
    assert Breach.objects.filter(incident=incident, cycle=1, clock=ClockKind.RESOLVE).count() == 1
    escalations = Escalation.objects.filter(incident=incident).order_by("cycle")
    assert [(e.cycle, e.level) for e in escalations] == [(0, 1), (1, 1)]
    assert failures_of(incident).count() == 2
    # The first cycle's records stay as they were.
    assert set(Breach.objects.filter(incident=incident, cycle=0).values_list("cycle", "clock")) == first_cycle
    assert stored(incident).escalation_level == 1


def test_the_incident_page_shows_the_current_cycle_only(make_incident, people, client):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV2), actor=people["responsible"]
    )
    with at(incident.resolve_due_at + timedelta(seconds=1)):
        sweep_due()
    with at(incident.resolve_due_at + timedelta(minutes=5)):
        closed = close(stored(incident), people)
        reopened = lifecycle._reopen(incident=closed, actor=people["depthead"], reason="The hanging wall failed again.")
    with at(reopened.clock_started_at + timedelta(minutes=1)):
        client.force_login(people["depthead"])
        response = client.get(f"/incidents/{incident.reference}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="clock-cycle"' in page and "Clock cycle 2" in page
    assert 'data-testid="breached"' not in page  # the first cycle's breaches are on the timeline only
    assert 'data-testid="not-escalated"' in page


# --- the main workflow follows its incident ----------------------------------------------------


def test_the_main_workflow_closes_with_its_incident_and_reopens_with_it(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    run = incident_workflows.start_incident_workflow(incident=incident)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    step = run.steps.filter(mandatory=True).order_by("position").first()
    closed = close(incident, people)
    run.refresh_from_db()
    assert run.status == RunStatus.RESOLVED and run.resolved_at is not None
    assert run.resolution == f"{incident.reference} closed."

    later = closed.closed_at + timedelta(days=3)
    with at(later):
        reopened = lifecycle._reopen(incident=closed, actor=people["depthead"], reason="The same slab moved again.")
    run.refresh_from_db()
    assert run.status == RunStatus.OPEN and run.resolved_at is None
    # An open step is due again within the new cycle, not on a date of the closed one.
    step.refresh_from_db()
    assert step.status != StepStatus.COMPLETED
    assert later < step.due_at <= reopened.resolve_due_at
    events = AuditEvent.objects.filter(object_type="workflows.workflowrun", object_id=str(run.pk))
    assert [e.changes.get("status") for e in events.order_by("seq")][-2:] == [
        ["open", "resolved"],
        ["resolved", "open"],
    ]


def test_a_reopened_incident_without_a_workflow_gets_one_inside_its_new_deadline(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV2), actor=people["responsible"]
    )
    closed = close(incident, people)
    assert not WorkflowRun.objects.filter(subject_id=str(incident.pk)).exists()
    reopened = lifecycle._reopen(incident=closed, actor=people["depthead"], reason="The same slab moved again.")
    run = work.workflow_of(reopened)
    assert run is not None and run.status == RunStatus.OPEN and run.started_at == reopened.clock_started_at
    assert max(s.due_at for s in run.steps.all()) <= reopened.resolve_due_at


# --- step due dates inside the resolve deadline ---------------------------------------------------


def test_step_due_dates_are_clipped_to_the_resolve_deadline(make_incident):
    incident = make_incident(severity=Severity.SEV2)  # 4 h to resolve; the fall-of-ground template runs 72 h
    run = incident_workflows.start_incident_workflow(incident=incident)
    offsets = {s.key: s.template_step.due_offset for s in run.steps.select_related("template_step")}
    for step in run.steps.all():
        assert step.due_at <= incident.resolve_due_at
        # A step that fits keeps its own time; the rest are due at the resolve deadline.
        expected = min(incident.reported_at + offsets[step.key], incident.resolve_due_at)
        assert step.due_at == expected
    assert run.due_at == incident.resolve_due_at
    assert min(offsets.values()) == timedelta(hours=1)


def test_a_template_that_fits_keeps_its_step_durations(make_incident):
    incident = make_incident(severity=Severity.SEV4)  # 72 h: the whole template fits
    run = incident_workflows.start_incident_workflow(incident=incident)
    for step in run.steps.select_related("template_step"):
        assert step.due_at == incident.reported_at + step.template_step.due_offset


def test_raising_the_severity_pulls_the_open_steps_inside_the_new_deadline(make_incident, people):
    incident = make_incident(severity=Severity.SEV4)
    run = incident_workflows.start_incident_workflow(incident=incident)
    changed = sla_clock_changes.change_severity(
        incident=incident, actor=people["depthead"], severity=Severity.SEV1, reason="A second slab fell."
    )
    assert max(s.due_at for s in run.steps.all()) == changed.resolve_due_at == incident.reported_at + timedelta(hours=1)


# --- containment ---------------------------------------------------------------------------------


def test_marking_contained_stops_the_contain_clock_and_is_audited(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV2), actor=people["responsible"]
    )
    moment = incident.reported_at + timedelta(minutes=30)
    with at(moment):
        contained = sla_clock_changes.mark_contained(
            incident=incident, actor=people["responsible"], note="Area barricaded and the crew withdrawn."
        )
    assert contained.contained_at == moment
    event = AuditEvent.objects.filter(object_id=str(incident.pk), action="update").latest("seq")
    assert event.actor == people["responsible"] and "Marked contained after 30 min" in event.message
    assert event.changes["time_to_contain_seconds"] == 30 * 60
    state = core_clocks.load_states([stored(incident)])[incident.pk]
    assert ClockKind.CONTAIN not in {c.kind for c in state.clocks}
    with at(incident.contain_due_at + timedelta(minutes=1)):
        sweep_due()
    assert not Breach.objects.filter(incident=incident, clock=ClockKind.CONTAIN).exists()
    assert not BreachWarning.objects.filter(incident=incident, clock=ClockKind.CONTAIN).exists()


def test_the_owner_may_mark_contained_but_nobody_else(make_incident, people):
    incident = make_incident(severity=Severity.SEV2)
    with pytest.raises(PolicyError) as refused:
        sla_clock_changes.mark_contained(
            incident=incident, actor=people["reporter"], note="It looks contained from here."
        )
    assert refused.value.code == "access_denied" and refusals("access_denied") == 1
    assert stored(incident).contained_at is None
    assert sla_clock_changes.mark_contained(
        incident=incident, actor=people["depthead"], note="Power isolated at the sub."
    )
    with pytest.raises(PolicyError) as twice:
        sla_clock_changes.mark_contained(
            incident=incident, actor=people["responsible"], note="Barricaded the whole area."
        )
    assert twice.value.code == "transition.not_allowed" and "already" in twice.value.message


def test_containment_needs_a_note(make_incident, people):
    incident = make_incident()
    with pytest.raises(PolicyError) as refused:
        sla_clock_changes.mark_contained(incident=incident, actor=people["responsible"], note="  done ")
    assert refused.value.code == "validation.invalid" and refused.value.context["field"] == "note"
    assert refusals("validation.invalid") == 1 and stored(incident).contained_at is None


def test_mark_contained_on_the_page(make_incident, people, client):
    incident = make_incident()
    client.force_login(people["responsible"])
    url = f"/incidents/{incident.reference}/contained/"
    short = client.post(url, {"note": "ok"}, headers={"HX-Request": "true"})
    assert short.status_code == 422 and "at least 10 characters" in short.content.decode()
    done = client.post(url, {"note": "Crew withdrawn, area barricaded."}, headers={"HX-Request": "true"})
    assert done.status_code == 200
    body = done.content.decode()
    assert 'data-testid="contained"' in body and 'hx-swap-oob="true"' in body
    assert "stopped" not in body or "contained" in body
    assert stored(incident).contained_at is not None
    client.force_login(people["reporter"])
    assert client.post(url, {"note": "Crew withdrawn, area barricaded."}).status_code == 403


# --- the resolve clock stops on submission and restarts on corrections ------------------------------


def test_submitting_stops_the_resolve_clock_and_corrections_restart_it_with_the_time_left(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV2), actor=people["responsible"]
    )
    submitted_at = incident.reported_at + timedelta(hours=1)
    with at(submitted_at):
        submitted = lifecycle._submit_for_review(incident=incident, actor=people["responsible"])
    assert submitted.clocks_paused_at == submitted_at
    # Long past the resolve deadline while half-closed: nothing breaches.
    with at(incident.resolve_due_at + timedelta(hours=2)):
        sweep_due()
        assert not Breach.objects.filter(incident=incident, clock=ClockKind.RESOLVE).exists()
        assert not Breach.objects.filter(incident=incident, clock=ClockKind.CONTAIN).exists()
    back_at = submitted_at + timedelta(hours=5)
    with at(back_at):
        moved = lifecycle._require_corrections(incident=submitted, actor=SUPERVISOR, message="Photos missing.")
    # Three hours of the four were left at submission: the resolve deadline is three hours from now.
    assert moved.resolve_due_at == back_at + (incident.resolve_due_at - submitted_at)
    assert moved.clocks_paused_at is None
    with at(moved.resolve_due_at + timedelta(seconds=1)):
        sweep_due()
    assert Breach.objects.get(incident=incident, clock=ClockKind.RESOLVE).due_at == moved.resolve_due_at


def test_a_deadline_already_missed_at_submission_stays_where_it_was(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV2), actor=people["responsible"]
    )
    with at(incident.resolve_due_at + timedelta(minutes=10)):
        sweep_due()
        submitted = lifecycle._submit_for_review(incident=incident, actor=people["responsible"])
    with at(incident.resolve_due_at + timedelta(hours=3)):
        moved = lifecycle._require_corrections(incident=submitted, actor=SUPERVISOR, message="Photos missing.")
        sweep_due()
    assert moved.resolve_due_at == incident.resolve_due_at
    assert Breach.objects.filter(incident=incident, clock=ClockKind.RESOLVE).count() == 1


# --- the closure decision's clock ----------------------------------------------------------------


def test_pending_closure_starts_the_decision_clock_which_warns_the_deciders_and_breaches(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV2), actor=people["responsible"]
    )
    submitted = lifecycle._submit_for_review(incident=incident, actor=people["responsible"])
    pending = lifecycle._accept_review(incident=submitted, actor=SUPERVISOR)
    # SEV-2 under the mine's standard policy: the decision is due 8 h after pending closure.
    assert pending.decision_due_at - pending.decision_started_at == timedelta(hours=8)
    assert pending.next_clock_at <= pending.decision_started_at + timedelta(hours=6)
    with at(pending.decision_started_at + timedelta(hours=6)):
        sweep_due()
    warning = BreachWarning.objects.get(incident=incident, clock=ClockKind.DECISION)
    assert notified(warning, "breach.warning") == ["depthead", "supervisor"]
    assert warning.mitigation_requested is False and notified(warning, "mitigation.requested") == []
    with at(pending.decision_due_at + timedelta(seconds=1)):
        sweep_due()
        sweep_due()
    breach = Breach.objects.get(incident=incident, clock=ClockKind.DECISION)
    assert breach.due_at == pending.decision_due_at
    assert notified(breach, "breach.recorded") == ["depthead", "supervisor"]
    assert not Escalation.objects.filter(incident=incident).exists()


def test_a_decision_stops_the_decision_clock_and_a_second_round_has_its_own(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV3), actor=people["responsible"]
    )
    pending = lifecycle._accept_review(
        incident=lifecycle._submit_for_review(incident=incident, actor=people["responsible"]), actor=SUPERVISOR
    )
    with at(pending.decision_due_at + timedelta(seconds=1)):
        sweep_due()
        moved = run_transition(pending, "reject_closure", actor=people["supervisor"], message="Redo the photos.")
        refresh_next_clock(moved)
    assert moved.decision_due_at is None and moved.decision_started_at is None
    later = pending.decision_due_at + timedelta(minutes=5)
    with at(later):
        again = lifecycle._accept_review(
            incident=lifecycle._submit_for_review(incident=moved, actor=people["responsible"]), actor=SUPERVISOR
        )
    with at(again.decision_due_at + timedelta(seconds=1)):
        sweep_due()
    assert Breach.objects.filter(incident=incident, clock=ClockKind.DECISION).count() == 2
    closed = run_transition(
        again,
        "approve_closure",
        actor=people["supervisor"],
        action=AuditAction.CLOSE,
        message="Closure approved.",
        at=timezone.now(),
    )
    refresh_next_clock(closed)
    assert closed.decision_due_at is None and closed.next_clock_at is None


# --- escalation is a per-severity switch -----------------------------------------------------------


def test_a_sev4_breach_is_recorded_without_escalation(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV4), actor=people["responsible"]
    )
    with at(incident.resolve_due_at + timedelta(seconds=1)):
        report = sweep_due()
        sweep_due()
    assert Breach.objects.filter(incident=incident, clock=ClockKind.RESOLVE).count() == 1
    assert (report.escalations, report.failures) == (0, 0)
    assert not Escalation.objects.exists() and not failures_of(incident).exists()
    assert stored(incident).escalation_level == 0
    breach = Breach.objects.get(incident=incident, clock=ClockKind.RESOLVE)
    assert notified(breach, "breach.recorded") == ["depthead", "responsible", "supervisor"]


def test_a_tenant_may_switch_sev4_escalation_on(make_incident, people, mine):
    SlaPolicy.objects.filter(organisation=mine, is_default=True).update(sev4_escalates=True)
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV4), actor=people["responsible"]
    )
    with at(incident.resolve_due_at + timedelta(seconds=1)):
        report = sweep_due()
    assert report.escalations == 1 and failures_of(incident).count() == 1


def test_a_tenant_may_switch_sev3_escalation_off(make_incident, people, mine):
    SlaPolicy.objects.filter(organisation=mine, is_default=True).update(sev3_escalates=False)
    incident = make_incident(severity=Severity.SEV3)
    with at(incident.resolve_due_at + timedelta(seconds=1)):
        report = sweep_due()
    assert report.escalations == 0 and not failures_of(incident).exists()
    assert Breach.objects.filter(incident=incident, clock=ClockKind.RESOLVE).exists()


def test_existing_and_new_policies_default_to_no_sev4_escalation(mine):
    assert list(SlaPolicy.objects.filter(organisation=mine).values_list("sev4_escalates", flat=True))
    assert not SlaPolicy.objects.filter(organisation=mine, sev4_escalates=True).exists()
    assert SlaPolicy.objects.filter(organisation=mine, sev1_escalates=False).count() == 0


def test_the_escalation_switches_are_read_once_per_sweep(make_incident, django_assert_num_queries):
    incidents = [make_incident(severity=severity) for severity in (Severity.SEV1, Severity.SEV3, Severity.SEV4)]
    lookups = escalation.Lookups()
    with django_assert_num_queries(2):  # the categories with their policies, the tenant's default policy
        first = lookups.escalates(incidents)
    with django_assert_num_queries(0):
        again = lookups.escalates(incidents)
    assert list(first.values()) == [True, True, False] and again == first


def test_a_severity_change_while_pending_closure_moves_the_decision_due_time(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV3), actor=people["responsible"]
    )
    pending = lifecycle._accept_review(
        incident=lifecycle._submit_for_review(incident=incident, actor=people["responsible"]), actor=SUPERVISOR
    )
    assert pending.decision_due_at - pending.decision_started_at == timedelta(hours=24)
    changed = sla_clock_changes.change_severity(
        incident=pending, actor=people["depthead"], severity=Severity.SEV1, reason="A second slab fell nearby."
    )
    assert changed.decision_due_at - pending.decision_started_at == timedelta(hours=4)
    assert stored(incident).next_clock_at <= changed.decision_started_at + timedelta(hours=3)


def test_the_data_migration_resolves_the_open_workflows_of_closed_incidents(make_incident, people):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("incidents.migrations.0011_resolve_workflows_of_closed_incidents")
    closed_one = make_incident(severity=Severity.SEV3)
    open_one = make_incident(severity=Severity.SEV3)
    runs = [incident_workflows.start_incident_workflow(incident=i) for i in (closed_one, open_one)]
    closed = close(lifecycle.acknowledge_incident(incident=closed_one, actor=people["responsible"]), people)
    WorkflowRun.objects.filter(pk=runs[0].pk).update(status=RunStatus.OPEN, resolved_at=None)  # as before this issue
    migration.resolve_main_runs(apps, None)
    first, second = (WorkflowRun.objects.get(pk=run.pk) for run in runs)
    assert (first.status, first.resolved_at) == (RunStatus.RESOLVED, closed.closed_at)
    assert second.status == RunStatus.OPEN


def test_the_deciders_see_the_decision_due_time_and_its_clock(make_incident, people, client):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV2), actor=people["responsible"]
    )
    pending = lifecycle._accept_review(
        incident=lifecycle._submit_for_review(incident=incident, actor=people["responsible"]), actor=SUPERVISOR
    )
    client.force_login(people["supervisor"])
    page = client.get(f"/incidents/{incident.reference}/").content.decode()
    assert 'data-testid="decision-due"' in page
    assert 'data-clock="closure decision"' in page
    assert "stopped: submitted" in page  # the resolve clock waits while the deciders decide
    assert pending.decision_due_at is not None
