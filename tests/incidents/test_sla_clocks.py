"""SLA clocks: which clocks an incident runs, the next one the sweep acts on, and recomputing
them when the severity changes (breaches already recorded stay recorded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.choices import ClockKind, IncidentStatus, Severity
from incidents.closure.services import closure
from incidents.core import clocks as core_clocks
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import Breach, BreachWarning, Incident
from incidents.sla.services import clock_changes as sla_clock_changes
from incidents.sla.services.sweep import sweep_due
from incidents.work.services import execution as work
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.incidents.test_closure import CHECKLIST


def warn_time(start, due, share=0.75):
    return start + (due - start) * share


def test_a_new_incident_waits_first_for_its_acknowledge_warning(make_incident):
    incident = make_incident(severity=Severity.SEV2)
    assert incident.next_clock_at == warn_time(incident.reported_at, incident.ack_due_at)
    # SEV-2 under the mine's standard policy: acknowledge in 15 min, so the warning is at 11 min 15 s.
    assert incident.next_clock_at - incident.reported_at == timedelta(minutes=11, seconds=15)
    assert Incident.objects.get(pk=incident.pk).next_clock_at == incident.next_clock_at


def test_the_warning_share_is_a_setting(make_incident, settings):
    settings.IWMS_SLA_WARNING_SHARE = 0.5
    incident = make_incident(severity=Severity.SEV2)
    assert incident.next_clock_at - incident.reported_at == timedelta(minutes=7, seconds=30)


def test_the_workflow_adds_its_step_deadlines(make_incident):
    incident = make_incident(severity=Severity.SEV4)  # acknowledge in 4 h: the 1-hour steps warn first
    incident_workflows.start_incident_workflow(incident=incident)
    state = core_clocks.load_states([Incident.objects.get(pk=incident.pk)])[incident.pk]
    kinds = sorted({c.kind for c in state.clocks})
    assert kinds == sorted([ClockKind.ACKNOWLEDGE, ClockKind.CONTAIN, ClockKind.RESOLVE, ClockKind.STEP])
    first_step_due = incident.reported_at + timedelta(hours=1)
    assert Incident.objects.get(pk=incident.pk).next_clock_at == warn_time(incident.reported_at, first_step_due)


def test_acknowledging_stops_the_acknowledge_clock(make_incident, people):
    incident = make_incident(severity=Severity.SEV2)
    acknowledged = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    assert acknowledged.next_clock_at == warn_time(incident.reported_at, incident.contain_due_at)
    state = core_clocks.load_states([acknowledged])[incident.pk]
    assert ClockKind.ACKNOWLEDGE not in {c.kind for c in state.clocks}


def test_an_information_request_is_a_clock(make_incident, people):
    incident = make_incident(severity=Severity.SEV4)
    incident_workflows.start_incident_workflow(incident=incident)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    step = work.workflow_of(incident).steps.get(key="make_safe")
    due = timezone.now() + timedelta(minutes=20)
    request = work.pause_step(
        incident=incident,
        step=step,
        actor=people["responsible"],
        responsible=people["supervisor"],
        request="Which bolts were installed on this drive last month?",
        due_at=due,
    )
    incident.refresh_from_db()
    assert incident.next_clock_at == warn_time(request.started_at, due)
    state = core_clocks.load_states([incident])[incident.pk]
    assert (ClockKind.SUBWORKFLOW, str(request.pk)) in {c.key for c in state.clocks}


def test_closing_stops_every_clock(pending, people):
    incident = pending()
    assert incident.next_clock_at is not None
    closed = closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST).incident
    assert closed.next_clock_at is None
    assert Incident.objects.get(pk=incident.pk).next_clock_at is None


def test_raising_the_severity_brings_the_deadlines_forward_from_the_original_start(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    changed = sla_clock_changes.change_severity(
        incident=incident, actor=people["depthead"], severity=Severity.SEV1, reason="A second slab fell."
    )
    assert changed.severity == Severity.SEV1
    assert changed.ack_due_at == incident.reported_at + timedelta(minutes=5)
    assert changed.resolve_due_at == incident.reported_at + timedelta(hours=1)
    assert changed.next_clock_at == warn_time(incident.reported_at, changed.ack_due_at)
    event = AuditEvent.objects.filter(object_id=str(incident.pk), action="update").latest("seq")
    assert "Severity SEV-3 → SEV-1: A second slab fell." in event.message
    assert event.changes["severity"] == ["sev3", "sev1"]


def test_lowering_the_severity_keeps_the_breach_already_recorded(make_incident, people):
    incident = make_incident(severity=Severity.SEV1)
    with time_machine.travel(incident.reported_at + timedelta(minutes=6), tick=False):
        sweep_due()
        assert Breach.objects.filter(incident=incident, clock=ClockKind.ACKNOWLEDGE).count() == 1
        changed = sla_clock_changes.change_severity(
            incident=incident,
            actor=people["responsible"],
            severity=Severity.SEV4,
            reason="Geotechnical engineer found the area stable.",
        )
        sweep_due()
    assert changed.ack_due_at == incident.reported_at + timedelta(hours=4)
    breach = Breach.objects.get(incident=incident, clock=ClockKind.ACKNOWLEDGE)
    assert breach.severity == Severity.SEV1 and breach.due_at == incident.ack_due_at
    # The acknowledge clock has breached, so it neither warns again nor breaches again.
    assert not BreachWarning.objects.filter(incident=incident, clock=ClockKind.ACKNOWLEDGE).exists()
    assert Breach.objects.filter(incident=incident).count() == 1
    assert changed.next_clock_at == warn_time(incident.reported_at, changed.contain_due_at)


def test_an_acknowledged_incident_keeps_its_acknowledge_deadline(make_incident, people):
    incident = lifecycle.acknowledge_incident(
        incident=make_incident(severity=Severity.SEV3), actor=people["responsible"]
    )
    changed = sla_clock_changes.change_severity(
        incident=incident, actor=people["responsible"], severity=Severity.SEV2, reason="Production is stopped."
    )
    assert changed.ack_due_at == incident.ack_due_at
    assert changed.resolve_due_at == incident.reported_at + timedelta(hours=4)


@pytest.mark.parametrize(
    ("who", "severity", "reason", "code"),
    [
        ("reporter", Severity.SEV1, "It is worse than reported.", "access_denied"),
        ("depthead", Severity.SEV2, "No change at all really.", "validation.invalid"),
        ("depthead", Severity.SEV1, "short", "validation.invalid"),
        ("depthead", "sev9", "An unknown severity level.", "validation.invalid"),
    ],
)
def test_severity_change_refusals_are_audited(make_incident, people, who, severity, reason, code):
    incident = make_incident(severity=Severity.SEV2)
    with pytest.raises(PolicyError) as refused:
        sla_clock_changes.change_severity(incident=incident, actor=people[who], severity=severity, reason=reason)
    assert refused.value.code == code
    assert AuditEvent.objects.filter(changes__code=code, actor=people[who]).exists()
    assert Incident.objects.get(pk=incident.pk).severity == Severity.SEV2


def test_the_supervisor_may_change_the_severity_but_not_of_a_closed_incident(make_incident, people):
    incident = make_incident(severity=Severity.SEV2)
    sla_clock_changes.change_severity(
        incident=incident, actor=people["supervisor"], severity=Severity.SEV3, reason="Area barricaded, contained."
    )
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    with pytest.raises(PolicyError) as refused:
        sla_clock_changes.change_severity(
            incident=incident, actor=people["supervisor"], severity=Severity.SEV1, reason="Reassessed after closure."
        )
    assert refused.value.code == "transition.not_allowed"


def test_time_to_and_duration_read_naturally():
    now = timezone.now()
    assert core_clocks.time_to(now + timedelta(minutes=65, seconds=10), now) == "in 1 h 05 min"
    assert core_clocks.time_to(now - timedelta(minutes=12), now) == "overdue by 12 min"
    assert core_clocks.time_to(now + timedelta(seconds=40), now) == "in under a minute"
    assert core_clocks.duration_text(timedelta(hours=2, minutes=3)) == "2 h 03 min"
