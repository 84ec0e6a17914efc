"""Escalation up the organogram with a controlled clock: a missed resolve deadline creates a
failure-to-complete incident for the supervisor, then the department head, then the top;
when the top's item goes overdue too, escalation stops with one maturity signal. Vacant
positions are skipped. Escalations are acknowledged once, with the lag recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from incidents.choices import ClockKind, IncidentKind, IncidentStatus, Severity, SignalKind, Source, SystemReason
from incidents.core import clocks
from incidents.models import Breach, Escalation, Incident, MaturitySignal
from incidents.sla.services import escalation
from incidents.sla.services.sweep import sweep_due
from iwms.audit import verify_chain
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification
from organogram.models import PositionAssignment
from organogram.services import end_assignment
from tests.incidents.test_sweep import notified, sweep_at
from workflows.models import WorkflowRun


def overdue(incident):
    """Sweep just after the incident's resolve deadline; returns the incident as stored then."""
    sweep_at(incident.resolve_due_at + timedelta(seconds=1))
    return Incident.objects.get(pk=incident.pk)


def failure_of(incident):
    return Incident.objects.get(parent=incident, system_reason=SystemReason.OVERDUE)


def test_missed_resolve_deadline_creates_a_failure_to_complete_incident_for_the_supervisor(make_incident, people):
    late = overdue(make_incident(severity=Severity.SEV1))
    failure = failure_of(late)
    assert (failure.source, failure.system_reason, failure.kind) == (
        Source.SYSTEM,
        SystemReason.OVERDUE,
        IncidentKind.OTHER_GOVERNED_EVENT,
    )
    assert failure.owner == people["supervisor"] and failure.responsible == people["supervisor"]
    assert failure.owner_position.code == "mine-overseer"
    assert (failure.category_id, failure.severity) == (late.category_id, late.severity)
    assert late.reference in failure.title and "was not completed by its resolve deadline" in failure.narrative
    assert failure.occurred_at == late.resolve_due_at
    assert WorkflowRun.objects.filter(subject_type="incidents.incident", subject_id=str(failure.pk)).exists()
    assert failure.next_clock_at is not None

    esc = Escalation.objects.get(incident=late)
    assert (esc.level, esc.to_person, esc.to_position.code) == (1, people["supervisor"], "mine-overseer")
    assert esc.ack_due_at == failure.ack_due_at and failure.source_reference == f"escalation:{esc.pk}"
    assert (late.escalation_level, failure.escalation_level) == (1, 1)
    assert Breach.objects.filter(incident=late, clock=ClockKind.RESOLVE).count() == 1
    assert notified(esc, "escalation.raised") == ["depthead", "responsible", "supervisor"]
    to_supervisor = Notification.objects.get(event="escalation.raised", recipient=people["supervisor"])
    assert to_supervisor.url == "/escalations/" and "Acknowledge the escalation by" in to_supervisor.body
    event = AuditEvent.objects.get(object_id=str(late.pk), action="escalate")
    assert event.message.startswith("Escalated to level 1 (supervisor): Pieter Botha")
    # The late incident's own clock now includes the acknowledgement of its escalation.
    assert late.next_clock_at <= esc.ack_due_at


def test_escalation_climbs_to_the_top_and_stops_there_with_one_maturity_signal(make_incident, people, mine):
    original = make_incident(severity=Severity.SEV1)
    late = overdue(original)
    level_1 = failure_of(late)
    level_2 = failure_of(overdue(level_1))
    level_3 = failure_of(overdue(level_2))
    assert [f.responsible.username for f in (level_1, level_2, level_3)] == ["supervisor", "depthead", "top"]
    assert [f.escalation_level for f in (level_1, level_2, level_3)] == [1, 2, 3]
    chain = Escalation.objects.order_by("level")
    assert [(e.incident_id, e.level, e.to_person.username) for e in chain] == [
        (original.pk, 1, "supervisor"),
        (level_1.pk, 2, "depthead"),
        (level_2.pk, 3, "top"),
    ]
    # Every step is on the original incident's timeline.
    messages = list(
        AuditEvent.objects.filter(object_id=str(original.pk), action="escalate").values_list("message", flat=True)
    )
    assert [m.split(":")[0] for m in messages] == [
        "Escalated to level 1 (supervisor)",
        "Escalated to level 2 (department head)",
        "Escalated to level 3 (top of the hierarchy)",
    ]
    assert not MaturitySignal.objects.exists()

    top_item = overdue(level_3)
    assert not Incident.objects.filter(parent=top_item, system_reason=SystemReason.OVERDUE).exists()
    assert Breach.objects.filter(incident=top_item, clock=ClockKind.RESOLVE).count() == 1
    signal = MaturitySignal.objects.get()
    assert (signal.kind, signal.incident, signal.unit.code) == (SignalKind.ESCALATED_TO_TOP, original, "mining")
    stop = AuditEvent.objects.filter(object_id=str(original.pk), action="escalate").latest("seq")
    assert stop.message.startswith("Escalation stopped at the top of the hierarchy")

    sweep_at(level_3.resolve_due_at + timedelta(days=3))
    assert Escalation.objects.count() == 3 and MaturitySignal.objects.count() == 1
    assert Incident.objects.filter(system_reason=SystemReason.OVERDUE).count() == 3


def test_a_vacant_supervisor_is_skipped_and_signalled(make_incident, people):
    assignment = PositionAssignment.objects.get(person=people["supervisor"], ends_at__isnull=True)
    end_assignment(assignment=assignment)
    late = overdue(make_incident(severity=Severity.SEV1))
    failure = failure_of(late)
    assert failure.responsible == people["depthead"] and failure.owner_position.code == "mining-manager"
    signal = MaturitySignal.objects.get(kind=SignalKind.VACANT_SUPERVISOR)
    assert signal.incident == failure and "mine-overseer" not in signal.detail and "Mine Overseer" in signal.detail
    # Department head and supervisor are now the same level: the next one is the top.
    targets = escalation.escalation_targets(people["responsible"], late.organisation)
    assert [(t.level.holder.username, t.role) for t in targets] == [
        ("depthead", "supervisor"),
        ("top", "top of the hierarchy"),
    ]
    event = AuditEvent.objects.get(object_id=str(late.pk), action="escalate")
    assert event.message.startswith("Escalated to level 1 (supervisor): Nomvula Khumalo, Mining Manager.")
    assert failure_of(overdue(failure)).responsible == people["top"]


def test_an_item_of_the_top_itself_stops_at_once(make_incident, people, mine):
    from organogram.models import Position

    late = overdue(
        make_incident(
            severity=Severity.SEV1,
            responsible=people["top"],
            owner=people["top"],
            owner_position=Position.objects.get(code="gm"),
        )
    )
    assert not Escalation.objects.exists()
    assert MaturitySignal.objects.get().incident == late
    assert late.escalation_level == 0


def test_sweeping_twice_never_escalates_twice(make_incident):
    late = make_incident(severity=Severity.SEV1)
    moment = late.resolve_due_at + timedelta(seconds=1)
    sweep_at(moment)
    Incident.objects.filter(pk=late.pk).update(next_clock_at=moment)  # as if a retried batch saw it again
    sweep_at(moment)
    assert Escalation.objects.filter(incident=late).count() == 1
    assert Incident.objects.filter(parent=late).count() == 1


def test_escalate_overdue_itself_is_guarded_by_the_unique_level(make_incident):
    late = overdue(make_incident(severity=Severity.SEV1))
    Incident.objects.filter(pk=late.pk).update(escalation_level=0)
    late.refresh_from_db()
    with time_machine.travel(late.resolve_due_at + timedelta(minutes=1), tick=False):
        again = escalation.escalate_overdue(incident=late, missed_at=late.resolve_due_at, now=late.resolve_due_at)
    assert again is None
    assert Incident.objects.filter(parent=late).count() == 1


def test_late_incidents_swept_together_each_get_their_own_escalation_and_failure_to_complete(make_incident, people):
    late = [make_incident(severity=severity) for severity in (Severity.SEV1, Severity.SEV2, Severity.SEV1)]
    moment = max(incident.resolve_due_at for incident in late) + timedelta(seconds=1)
    report = sweep_at(moment)
    assert report.escalations == 3 and report.failures == 0
    failures = [failure_of(incident) for incident in late]
    assert len({failure.reference for failure in failures}) == 3
    numbers = sorted(int(failure.reference.rsplit("-", 1)[1]) for failure in failures)
    assert numbers == list(range(numbers[0], numbers[0] + 3))  # taken together, without gaps
    for incident, failure in zip(late, failures, strict=True):
        esc = Escalation.objects.get(incident=incident)
        assert failure.source_reference == f"escalation:{esc.pk}" and esc.ack_due_at == failure.ack_due_at
        assert (failure.severity, failure.parent_id, failure.reported_at) == (incident.severity, incident.pk, moment)
        run = WorkflowRun.objects.get(subject_type="incidents.incident", subject_id=str(failure.pk))
        assert run.steps.count() == run.template.steps.count() > 0
        assert Incident.objects.get(pk=incident.pk).escalation_level == 1
        # The move up a level is in the incident's history, as a save would have put it.
        assert Incident.history.filter(id=incident.pk, history_type="~", escalation_level=1).count() == 1
        assert AuditEvent.objects.filter(object_id=str(incident.pk), action="escalate").count() == 1
        created = AuditEvent.objects.filter(action="create")
        assert created.filter(object_type="incidents.incident", object_id=str(failure.pk)).count() == 1
        assert created.filter(object_type="workflows.workflowrun", object_id=str(run.pk)).count() == 1
    assert verify_chain(late[0].organisation).ok


def test_acknowledging_records_the_lag_and_takes_on_the_failure_to_complete(make_incident, people):
    late = overdue(make_incident(severity=Severity.SEV2))
    esc = Escalation.objects.get(incident=late)
    with time_machine.travel(esc.escalated_at + timedelta(minutes=7), tick=False):
        done = escalation.acknowledge_escalation(escalation=esc, actor=people["supervisor"])
    assert done.ack_lag == timedelta(minutes=7) and done.acknowledged_by == people["supervisor"]
    failure = failure_of(late)
    assert failure.status == IncidentStatus.IN_PROGRESS
    assert not Notification.objects.filter(
        recipient=people["supervisor"], event="escalation.raised", read_at__isnull=True
    ).exists()
    state = clocks.load_states([Incident.objects.get(pk=late.pk)])[late.pk]
    assert ClockKind.ESCALATION not in {c.kind for c in state.clocks}
    event = AuditEvent.objects.filter(object_id=str(late.pk), action="escalate").latest("seq")
    assert event.message == f"Level 1 escalation of {late.reference} acknowledged by Pieter Botha after 7 min."


def test_a_second_acknowledgement_is_refused_and_audited(make_incident, people):
    late = overdue(make_incident(severity=Severity.SEV2))
    esc = Escalation.objects.get(incident=late)
    escalation.acknowledge_escalation(escalation=esc, actor=people["supervisor"])
    with pytest.raises(PolicyError) as refused:
        escalation.acknowledge_escalation(escalation=esc, actor=people["supervisor"])
    assert refused.value.code == "escalation.already_acknowledged"
    assert AuditEvent.objects.filter(changes__code="escalation.already_acknowledged").count() == 1


def test_only_the_person_escalated_to_acknowledges(make_incident, people):
    late = overdue(make_incident(severity=Severity.SEV2))
    esc = Escalation.objects.get(incident=late)
    with pytest.raises(PolicyError) as refused:
        escalation.acknowledge_escalation(escalation=esc, actor=people["depthead"])
    assert refused.value.code == "access_denied"
    assert Escalation.objects.get(pk=esc.pk).acknowledged_at is None


def test_an_unacknowledged_escalation_breaches_once(make_incident, people):
    late = overdue(make_incident(severity=Severity.SEV2))
    esc = Escalation.objects.get(incident=late)
    sweep_at(esc.ack_due_at + timedelta(seconds=1))
    sweep_at(esc.ack_due_at + timedelta(minutes=2))
    breach = Breach.objects.get(incident=late, clock=ClockKind.ESCALATION)
    assert breach.subject_key == str(esc.pk)
    assert "supervisor" in notified(breach, "breach.recorded")


def test_the_sweep_records_escalations_in_the_report(make_incident):
    late = make_incident(severity=Severity.SEV1)
    with time_machine.travel(late.resolve_due_at + timedelta(seconds=1), tick=False):
        report = sweep_due()
    assert report.escalations == 1 and report.failures == 0
