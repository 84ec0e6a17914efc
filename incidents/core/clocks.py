"""SLA clocks of an incident and the column that makes them sweepable.

An incident's clocks: acknowledge (until acknowledged), contain (until marked contained),
resolve (until the work is submitted: half-closed and pending closure stop it, corrections
restart it with the time it had left), the closure decision (while pending closure), the due
dates of its open mandatory steps and open information requests, and the acknowledgement
deadline of each unacknowledged escalation. Each clock warns at a share of its time
(`IWMS_SLA_WARNING_SHARE`, default 75 %) and breaches at its deadline; a warning or a breach is
recorded once per clock cycle (a reopen starts a new cycle: `Incident.clock_cycle`).
`Incident.next_clock_at` holds the earliest warning or deadline still to act on, so the sweep
reads due rows through one partial index.

Wherever a clock starts or moves earlier, `refresh_next_clock` is called; where one stops,
the column may stay early: the sweep then finds nothing due and moves it on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from incidents.choices import FINAL_STATUSES, ClockKind, Severity
from incidents.core.deadlines import Deadlines
from incidents.models import Breach, BreachWarning, Escalation, Incident
from workflows.choices import RunKind, RunStatus, StepStatus
from workflows.models import Step, WorkflowRun

SUBJECT = "incidents.incident"
DEADLINE_LABELS = {
    ClockKind.ACKNOWLEDGE: "acknowledge",
    ClockKind.CONTAIN: "contain",
    ClockKind.RESOLVE: "resolve",
    ClockKind.DECISION: "closure decision",
}
MITIGATION_SEVERITIES = {Severity.SEV1, Severity.SEV2}
MIN_REASON = 10
MIN_MITIGATION_NOTE = 20

ClockKey = tuple[str, str]


@dataclass(frozen=True)
class Clock:
    """One running deadline of an incident. `subject_key` names the step, information
    request or escalation for those clocks and is blank for the incident's own three."""

    kind: str
    subject_key: str
    start: datetime
    due: datetime
    label: str
    person_id: int | None = None  # who acts on it besides the responsible person, if anyone

    @property
    def key(self) -> ClockKey:
        return (self.kind, self.subject_key)

    @property
    def warns(self) -> bool:
        """An escalation is itself the alarm: its acknowledgement deadline breaches without a warning."""
        return self.kind != ClockKind.ESCALATION

    def warn_at(self, share: float | None = None) -> datetime:
        share = settings.IWMS_SLA_WARNING_SHARE if share is None else share
        return self.start + (self.due - self.start) * share


@dataclass
class ClockState:
    """An incident's running clocks and which of them have already warned or breached."""

    clocks: list[Clock] = field(default_factory=list)
    warned: set[ClockKey] = field(default_factory=set)
    breached: set[ClockKey] = field(default_factory=set)

    def due_warnings(self, now: datetime) -> list[Clock]:
        """Clocks past their warning time, still before their deadline, not yet warned."""
        return [
            c
            for c in self.clocks
            if c.warns and c.key not in self.warned and c.key not in self.breached and c.warn_at() <= now < c.due
        ]

    def due_breaches(self, now: datetime) -> list[Clock]:
        return [c for c in self.clocks if c.key not in self.breached and c.due <= now]

    def next_clock_at(self) -> datetime | None:
        """The earliest warning or deadline not yet acted on (None when no clock is left)."""
        moments = []
        for clock in self.clocks:
            if clock.key in self.breached:
                continue
            moments.append(clock.due)
            if clock.warns and clock.key not in self.warned and clock.warn_at() < clock.due:
                moments.append(clock.warn_at())
        return min(moments, default=None)


def own_clocks(incident: Incident) -> list[Clock]:
    """The incident's own clocks that still run: acknowledge until acknowledged, contain until
    contained, resolve until the work is submitted, and the closure decision while pending
    closure. All but the decision run from the start of the current clock cycle."""
    if incident.status in FINAL_STATUSES:
        return []
    start, paused = incident.clock_start, incident.clocks_paused_at is not None
    clocks = []
    for kind, due in (
        (ClockKind.ACKNOWLEDGE, incident.ack_due_at if incident.acknowledged_at is None else None),
        (ClockKind.CONTAIN, incident.contain_due_at if incident.contained_at is None and not paused else None),
        (ClockKind.RESOLVE, incident.resolve_due_at if not paused else None),
    ):
        if due is not None:
            clocks.append(Clock(kind, "", start, due, f"{DEADLINE_LABELS[kind]} deadline"))
    if incident.decision_due_at is not None and incident.decision_started_at is not None:
        clocks.append(decision_clock(incident))
    return clocks


def decision_clock(incident: Incident) -> Clock:
    """The closure decision's clock: from pending closure to its due time. Each round of
    pending closure is a clock of its own (keyed by when it began), so a second round after
    corrections warns and breaches again."""
    started = incident.decision_started_at
    return Clock(
        ClockKind.DECISION,
        str(int(started.timestamp())),
        started,
        incident.decision_due_at,
        "closure decision",
    )


def load_states(incidents: Iterable[Incident]) -> dict[int, ClockState]:
    """The clock state of each incident, in five queries whatever their number."""
    incidents = list(incidents)
    states = {incident.pk: ClockState(clocks=own_clocks(incident)) for incident in incidents}
    open_ids = [i.pk for i in incidents if i.status not in FINAL_STATUSES]
    if not open_ids:
        return states
    runs = {
        run.pk: run
        for run in WorkflowRun.objects.filter(
            organisation_id__in={i.organisation_id for i in incidents},
            subject_type=SUBJECT,
            subject_id__in=[str(pk) for pk in open_ids],
        ).only("pk", "kind", "subject_id", "started_at", "due_at", "status", "title", "responsible_id")
    }
    for run in runs.values():
        if run.kind == RunKind.INFORMATION_REQUEST and run.status == RunStatus.OPEN and run.due_at is not None:
            states[int(run.subject_id)].clocks.append(
                Clock(
                    ClockKind.SUBWORKFLOW,
                    str(run.pk),
                    run.started_at,
                    run.due_at,
                    f"information request '{run.title}'",
                    run.responsible_id,
                )
            )
    steps = Step.objects.filter(run_id__in=list(runs), mandatory=True, due_at__isnull=False).exclude(
        status__in=[StepStatus.COMPLETED, StepStatus.NOT_APPLICABLE]
    )
    for step in steps.only("pk", "run_id", "position", "name", "due_at", "assignee_id"):
        run = runs[step.run_id]
        states[int(run.subject_id)].clocks.append(step_clock(run, step))
    # Only the current cycle's records count: a reopened incident's clocks warn and breach afresh.
    cycles = {i.pk: i.clock_cycle for i in incidents}
    escalations = Escalation.objects.filter(
        incident_id__in=open_ids, acknowledged_at__isnull=True, ack_due_at__isnull=False
    ).select_related("to_person")
    for escalation in escalations:
        if escalation.cycle == cycles[escalation.incident_id]:
            states[escalation.incident_id].clocks.append(escalation_clock(escalation))
    for model, attribute in ((BreachWarning, "warned"), (Breach, "breached")):
        for incident_id, cycle, kind, subject_key in model.objects.filter(incident_id__in=open_ids).values_list(
            "incident_id", "cycle", "clock", "subject_key"
        ):
            if cycle == cycles[incident_id]:
                getattr(states[incident_id], attribute).add((kind, subject_key))
    return states


def step_clock(run: WorkflowRun, step: Step) -> Clock:
    """The clock of an open mandatory step with a due date: it runs from the workflow's start."""
    return Clock(
        ClockKind.STEP,
        str(step.pk),
        run.started_at,
        step.due_at,
        f"step {step.position} '{step.name}'",
        step.assignee_id,
    )


def escalation_clock(escalation: Escalation) -> Clock:
    """The clock of an unacknowledged escalation: its acknowledgement deadline."""
    return Clock(
        ClockKind.ESCALATION,
        str(escalation.pk),
        escalation.escalated_at,
        escalation.ack_due_at,
        f"acknowledgement of the level {escalation.level} escalation to {escalation.to_person}",
        escalation.to_person_id,
    )


def compute_next_clock(incident: Incident) -> datetime | None:
    """The earliest warning or deadline of `incident` not yet acted on."""
    return load_states([incident])[incident.pk].next_clock_at()


def refresh_next_clock(incident: Incident) -> datetime | None:
    """Recompute and store `incident.next_clock_at` (bookkeeping for the sweep: no history row)."""
    moment = compute_next_clock(incident)
    Incident.objects.filter(pk=incident.pk).update(next_clock_at=moment)
    incident.next_clock_at = moment
    return moment


def add_started_clocks(incident: Incident, clocks: Iterable[Clock]) -> datetime | None:
    """Clocks that have just started (nothing warned or breached on them yet) can only move
    the incident's next clock earlier: fold them into the stored value without re-reading
    the others, and write the column only when it moves."""
    moment = ClockState(clocks=list(clocks)).next_clock_at()
    if moment is not None and (incident.next_clock_at is None or moment < incident.next_clock_at):
        Incident.objects.filter(pk=incident.pk).update(next_clock_at=moment)
        incident.next_clock_at = moment
    return incident.next_clock_at


def first_clock(deadlines: Deadlines, start: datetime) -> datetime:
    """The next clock of a new incident (no workflow, warning or breach yet): its earliest warning."""
    clocks = [
        Clock(ClockKind.ACKNOWLEDGE, "", start, deadlines.ack_due_at, ""),
        Clock(ClockKind.CONTAIN, "", start, deadlines.contain_due_at, ""),
        Clock(ClockKind.RESOLVE, "", start, deadlines.resolve_due_at, ""),
    ]
    return ClockState(clocks=clocks).next_clock_at()


def time_to(moment: datetime | None, now: datetime | None = None) -> str:
    """'in 1 h 05 min' or 'overdue by 12 min', for messages and pages."""
    if moment is None:
        return "—"
    seconds = int((moment - (now or timezone.now())).total_seconds())
    overdue, seconds = seconds < 0, abs(seconds)
    hours, minutes = divmod(seconds // 60, 60)
    text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min" if minutes else "under a minute"
    return f"overdue by {text}" if overdue else f"in {text}"


LOCAL_FORMAT = "%d %b %Y %H:%M"


def local_time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(LOCAL_FORMAT)


def duration_text(duration: timedelta) -> str:
    """'7 min' or '2 h 05 min'."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
