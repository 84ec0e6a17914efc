"""The SLA sweep: find the incidents whose next clock is due and act on each due clock once.

Set-based and batched: a batch is one transaction that takes up to `batch_size` due rows
through the partial index on `next_clock_at` (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so
concurrent sweepers share the work and never take the same incident; SQLite serialises
writers), reads their clocks in a fixed number of queries, records the warnings and breaches
in bulk, notifies, audits, escalates missed resolve deadlines, and moves each row's
`next_clock_at` on. Every record is unique per clock (database constraints), and a batch
that dies before it commits leaves nothing behind, so a retried or concurrent sweep never
doubles anything. Healthchecks' `alert_after` + `sendalerts` is the model.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import ClockKind
from incidents.models import Breach, BreachWarning, Incident
from incidents.services import clocks, escalation
from incidents.services.clocks import Clock
from iwms import notifications
from iwms.audit import Entry, record_events
from iwms.choices import AuditAction
from organogram.choices import AssignmentKind
from organogram.hierarchy import assignments_at, holders_by_position, supervisor_of

logger = logging.getLogger(__name__)

SWEEP_ACTOR = escalation.SWEEP_ACTOR
# An incident whose escalation failed (logged) is tried again after this long, not in a loop.
RETRY_AFTER = timedelta(minutes=5)


@dataclass
class SweepReport:
    """What one sweep (or one batch) did."""

    batches: int = 0
    incidents: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    failures: int = 0

    def add(self, other: SweepReport) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep_due(
    *, now: datetime | None = None, batch_size: int | None = None, max_seconds: float | None = None
) -> SweepReport:
    """Sweep batch after batch until no due incident is left (or `max_seconds` have passed).
    `now` fixes the time for the whole sweep; by default each batch reads the clock."""
    batch_size = batch_size or settings.IWMS_SWEEP_BATCH_SIZE
    started = time.monotonic()
    report = SweepReport()
    while True:
        batch = sweep_batch(now=now or timezone.now(), batch_size=batch_size)
        report.add(batch)
        if batch.incidents < batch_size:
            return report
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            logger.warning("SLA sweep stopped after %.0f s with due incidents left; the next run goes on", max_seconds)
            return report


def _lock_due(now: datetime, batch_size: int) -> list[Incident]:
    due = (
        Incident.objects.filter(next_clock_at__lte=now)
        .select_related("owner", "responsible")
        .order_by("next_clock_at", "pk")
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due[:batch_size])


def sweep_batch(*, now: datetime, batch_size: int) -> SweepReport:
    """One batch in one transaction (see the module docstring)."""
    report = SweepReport()
    with transaction.atomic():
        incidents = _lock_due(now, batch_size)
        if not incidents:
            return report
        report.batches, report.incidents = 1, len(incidents)
        states = clocks.load_states(incidents)
        warned: list[tuple[Incident, Clock]] = []
        breached: list[tuple[Incident, Clock]] = []
        missed_resolve: list[tuple[Incident, Clock]] = []
        for incident in incidents:
            state = states[incident.pk]
            for clock in state.due_breaches(now):
                (missed_resolve if clock.kind == ClockKind.RESOLVE else breached).append((incident, clock))
            warned += [(incident, clock) for clock in state.due_warnings(now)]

        warnings = _record(BreachWarning, [_warning_row(i, c, now) for i, c in warned])
        breaches = _record(Breach, [_breach_row(i, c, now) for i, c in breached])
        for incident, clock in warned:
            states[incident.pk].warned.add(clock.key)
        for incident, clock in breached:
            states[incident.pk].breached.add(clock.key)
        _notify_and_audit(warned, warnings, breached, breaches)
        report.warnings, report.breaches = len(warnings), len(breaches)

        retry: set[int] = set()
        escalated: set[int] = set()
        for incident, clock in missed_resolve:
            outcome = _escalate(incident, clock, now)
            if outcome is None:
                retry.add(incident.pk)
                report.failures += 1
                continue
            report.breaches += 1
            report.escalations += outcome
            states[incident.pk].breached.add(clock.key)
            escalated.add(incident.pk)

        for incident in incidents:
            moment = (
                clocks.compute_next_clock(incident) if incident.pk in escalated else states[incident.pk].next_clock_at()
            )
            if incident.pk in retry:
                moment = max(moment or now, now + RETRY_AFTER)
            incident.next_clock_at = moment
        Incident.objects.bulk_update(incidents, ["next_clock_at"])
        if settings.IWMS_SWEEP_TEST_DELAY_MS:
            time.sleep(settings.IWMS_SWEEP_TEST_DELAY_MS / 1000)
    return report


def _warning_row(incident: Incident, clock: Clock, now: datetime) -> BreachWarning:
    return BreachWarning(
        organisation_id=incident.organisation_id,
        incident=incident,
        clock=clock.kind,
        subject_key=clock.subject_key,
        due_at=clock.due,
        warned_at=now,
        mitigation_requested=incident.severity in clocks.MITIGATION_SEVERITIES,
    )


def _breach_row(incident: Incident, clock: Clock, now: datetime) -> Breach:
    return Breach(
        organisation_id=incident.organisation_id,
        incident=incident,
        clock=clock.kind,
        subject_key=clock.subject_key,
        due_at=clock.due,
        breached_at=now,
        severity=incident.severity,
    )


def _record(model: type[models.Model], rows: list[models.Model]) -> list[models.Model]:
    """Insert `rows` (decided under the incidents' row locks) and return them with their ids,
    in the same order. The unique (incident, clock, subject) constraint is the backstop: a row
    someone else already wrote is kept as it is, never written twice."""
    if not rows:
        return []
    model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    stored = {
        (row.incident_id, row.clock, row.subject_key): row
        for row in model.objects.filter(incident_id__in={r.incident_id for r in rows})
    }
    return [stored[(r.incident_id, r.clock, r.subject_key)] for r in rows]


def _escalate(incident: Incident, clock: Clock, now: datetime) -> int | None:
    """Record the missed resolve deadline and escalate, in a savepoint of its own: a failure
    (logged) leaves this incident for a later sweep and the rest of the batch goes on.
    Returns how many escalations were raised (0 at the top), or None on failure."""
    try:
        with transaction.atomic():
            [breach] = _record(Breach, [_breach_row(incident, clock, now)])
            _notify_and_audit([], [], [(incident, clock)], [breach])
            raised = escalation.escalate_overdue(incident=incident, missed_at=clock.due, now=now)
    except Exception:
        logger.exception("escalating %s failed; the sweep tries again in %s", incident.reference, RETRY_AFTER)
        return None
    return 1 if raised is not None else 0


# --- who hears about it, and the ledger ----------------------------------------------------


def supervisors_of(person_ids: Iterable[int], at: datetime) -> dict[int, int | None]:
    """The supervisor (user id) of each person, as `organogram.hierarchy.supervisor_of`
    answers, in two queries when the position one level up is filled; the rest (vacant
    levels, people without a position) take the full walk."""
    person_ids = set(person_ids)
    primary: dict[int, object] = {}
    rows = assignments_at(at).filter(person_id__in=person_ids, position__is_active=True).select_related("position")
    for assignment in sorted(rows, key=lambda a: (a.kind != AssignmentKind.SUBSTANTIVE, a.kind, a.starts_at)):
        primary.setdefault(assignment.person_id, assignment.position)
    holders = holders_by_position({p.parent_id for p in primary.values() if p.parent_id}, at)
    answers: dict[int, int | None] = {}
    for person_id in person_ids:
        position = primary.get(person_id)
        holder = holders.get(position.parent_id) if position is not None and position.parent_id else None
        if holder is not None and holder.pk != person_id:
            answers[person_id] = holder.pk
    rest = person_ids - set(answers)
    if rest:
        from iwms.models import User

        for person in User.objects.filter(pk__in=rest):
            level = supervisor_of(person, at)
            answers[person.pk] = level.holder.pk if level else None
    return answers


def _notify_and_audit(
    warned: list[tuple[Incident, Clock]],
    warnings: list[BreachWarning],
    breached: list[tuple[Incident, Clock]],
    breaches: list[Breach],
) -> None:
    incidents = [i for i, _ in warned] + [i for i, _ in breached]
    if not incidents:
        return
    supervisors = supervisors_of({i.responsible_id for i in incidents}, timezone.now())
    drafts = []
    ledger: dict[int, list[Entry]] = defaultdict(list)
    for (incident, clock), warning in zip(warned, warnings, strict=True):
        when = f"due {clocks.local_time(clock.due)} ({clocks.time_to(clock.due, warning.warned_at)})"
        drafts += [
            notifications.draft(
                recipient=person,
                event="breach.warning",
                obj=warning,
                subject=f"At risk: {incident.reference} {clock.label} {when}",
                body=f"{incident.reference} '{incident.title}': the {clock.label} is {when}. "
                f"{incident.responsible} is responsible; {incident.owner} is accountable.",
                url=reverse("incident_detail", args=[incident.reference]),
            )
            for person in _recipients(incident, clock, supervisors)
        ]
        if warning.mitigation_requested:
            drafts.append(
                notifications.draft(
                    recipient=incident.responsible_id,
                    event="mitigation.requested",
                    obj=warning,
                    subject=f"Mitigation note needed: {incident.reference} {clock.label} {when}",
                    body=f"{incident.reference} is {incident.get_severity_display()} and its {clock.label} is {when}. "
                    "Write down what you are doing to meet it, or why it will be missed and what limits the harm.",
                    url=reverse("mitigation_note", args=[warning.pk]),
                )
            )
        ledger[incident.organisation_id].append(
            Entry(
                action=AuditAction.NOTIFY,
                actor=SWEEP_ACTOR,
                obj=incident,
                message=f"Breach-risk warning: the {clock.label} is {when}."
                + (" A mitigation note is asked of the responsible person." if warning.mitigation_requested else ""),
                changes={
                    "breach_warning": warning.pk,
                    "clock": clock.kind,
                    "subject": clock.subject_key,
                    "due_at": clock.due,
                },
            )
        )
    for (incident, clock), breach in zip(breached, breaches, strict=True):
        drafts += [
            notifications.draft(
                recipient=person,
                event="breach.recorded",
                obj=breach,
                subject=f"Breached: {incident.reference} {clock.label} of {clocks.local_time(clock.due)}",
                body=f"{incident.reference} '{incident.title}' missed its {clock.label} of "
                f"{clocks.local_time(clock.due)} ({incident.get_severity_display()}). The breach stays recorded. "
                f"{incident.responsible} is responsible; {incident.owner} is accountable.",
                url=reverse("incident_detail", args=[incident.reference]),
            )
            for person in _recipients(incident, clock, supervisors)
        ]
        ledger[incident.organisation_id].append(
            Entry(
                action=AuditAction.UPDATE,
                actor=SWEEP_ACTOR,
                obj=incident,
                message=f"Breach: the {clock.label} of {clocks.local_time(clock.due)} was missed.",
                changes={"breach": breach.pk, "clock": clock.kind, "subject": clock.subject_key, "due_at": clock.due},
            )
        )
    notifications.notify_many(drafts)
    for tenant_id, entries in ledger.items():
        record_events(tenant=tenant_id, entries=entries)


def _recipients(incident: Incident, clock: Clock, supervisors: dict[int, int | None]) -> list[int]:
    """Owner, responsible person and their supervisor, and whoever acts on the clock."""
    people = [incident.owner_id, incident.responsible_id, supervisors.get(incident.responsible_id), clock.person_id]
    return list(dict.fromkeys(p for p in people if p is not None))
