"""The SLA sweep: find the incidents whose next clock is due and act on each due clock once.

Set-based and batched: a batch is one transaction that takes up to `batch_size` due rows
through the partial index on `next_clock_at` (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so
concurrent sweepers share the work and never take the same incident; SQLite serialises
writers), reads their clocks in a fixed number of queries, records the warnings and breaches
in bulk, notifies, audits, escalates missed resolve deadlines, and moves each row's
`next_clock_at` on. A missed resolve deadline escalates only where the incident's SLA policy
says its severity escalates (SEV-4 does not by default); otherwise its breach is recorded like
any other. Every record is unique per clock cycle and clock (database constraints), and a batch
that dies before it commits leaves nothing behind, so a retried or concurrent sweep never
doubles anything. Healthchecks' `alert_after` + `sendalerts` is the model.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import ClockKind
from incidents.core import clocks
from incidents.core.clocks import Clock
from incidents.models import Breach, BreachWarning, Escalation, Incident
from incidents.sla.services import escalation
from iwms import audit, notifications
from iwms.audit import Entry, record_events
from iwms.bulk_rows import recordset, rows_json
from iwms.choices import AuditAction
from organogram.hierarchy import Level, supervisor_levels

logger = logging.getLogger(__name__)

SWEEP_ACTOR = escalation.SWEEP_ACTOR
# What the sweep reads of a due incident (an escalation reads the whole row again).
SWEPT_FIELDS = (
    "organisation_id",
    "reference",
    "title",
    "status",
    "severity",
    "reported_at",
    "ack_due_at",
    "contain_due_at",
    "resolve_due_at",
    "acknowledged_at",
    "contained_at",
    "clock_started_at",
    "clocks_paused_at",
    "decision_started_at",
    "decision_due_at",
    "reopened_count",
    "category_id",
    "owner_id",
    "responsible_id",
    "next_clock_at",
    "escalation_level",
)
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
    escalation_seconds: float = 0.0  # spent on missed resolve deadlines (failure-to-complete incidents)

    def add(self, other: SweepReport) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def sweep_due(
    *, now: datetime | None = None, batch_size: int | None = None, max_seconds: float | None = None
) -> SweepReport:
    """Sweep batch after batch until no due incident is left (or `max_seconds` have passed).
    `now` fixes the time for the whole sweep; by default each batch reads the clock."""
    batch_size = batch_size or settings.IWMS_SWEEP_BATCH_SIZE
    started = time.monotonic()
    report = SweepReport()
    people, lookups = SweptPeople(), escalation.Lookups()
    while True:
        batch = sweep_batch(now=now or timezone.now(), batch_size=batch_size, people=people, lookups=lookups)
        report.add(batch)
        if batch.incidents < batch_size:
            return report
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            logger.warning("SLA sweep stopped after %.0f s with due incidents left; the next run goes on", max_seconds)
            return report


def _lock_due(now: datetime, batch_size: int) -> list[Incident]:
    due = Incident.objects.filter(next_clock_at__lte=now).order_by("next_clock_at", "pk").only(*SWEPT_FIELDS)
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due[:batch_size])


def sweep_batch(
    *, now: datetime, batch_size: int, people: SweptPeople | None = None, lookups: escalation.Lookups | None = None
) -> SweepReport:
    """One batch in one transaction (see the module docstring). `people` and `lookups` carry
    what earlier batches of the same sweep learnt about the people they notified and the
    policies and templates failure-to-complete incidents take."""
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
        if missed_resolve:
            # A severity whose policy does not escalate (SEV-4 by default) records its breach only.
            lookups = lookups or escalation.Lookups()
            escalating = lookups.escalates([incident for incident, _ in missed_resolve])
            breached += [(i, c) for i, c in missed_resolve if not escalating[i.pk]]
            missed_resolve = [(i, c) for i, c in missed_resolve if escalating[i.pk]]

        messages = _Messages([i for i, _ in warned + breached + missed_resolve], people or SweptPeople())
        warnings = _record(BreachWarning, [_warning_row(i, c, now) for i, c in warned])
        breaches = _record(Breach, [_breach_row(i, c, now) for i, c in breached])
        drafts: list[notifications.Draft] = []
        ledger: dict[int, list[Entry]] = defaultdict(list)
        for (incident, clock), warning in zip(warned, warnings, strict=True):
            states[incident.pk].warned.add(clock.key)
            if warning is not None:
                drafts += messages.warning(incident, clock, warning, ledger)
                report.warnings += 1
        for (incident, clock), breach in zip(breached, breaches, strict=True):
            states[incident.pk].breached.add(clock.key)
            if breach is not None:
                drafts += messages.breach(incident, clock, breach, ledger)
                report.breaches += 1

        retry: set[int] = set()
        escalating = time.perf_counter()
        outcomes, escalation_drafts, events = _escalate_all(
            missed_resolve, now, messages, lookups or escalation.Lookups()
        )
        drafts += escalation_drafts
        for tenant_id, entry in events:
            ledger[tenant_id].append(entry)
        for (incident, clock), outcome in zip(missed_resolve, outcomes, strict=True):
            if outcome is None:
                retry.add(incident.pk)
                report.failures += 1
                continue
            recorded, raised = outcome
            report.breaches += recorded
            report.escalations += raised is not None
            states[incident.pk].breached.add(clock.key)
            if raised is not None and raised.ack_due_at is not None:
                states[incident.pk].clocks.append(clocks.escalation_clock(raised))
        report.escalation_seconds = time.perf_counter() - escalating if missed_resolve else 0.0
        for tenant_id, entries in ledger.items():
            record_events(tenant=tenant_id, entries=entries)
        notifications.notify_many(drafts)

        for incident in incidents:
            moment = states[incident.pk].next_clock_at()
            if incident.pk in retry:
                moment = max(moment or now, now + RETRY_AFTER)
            incident.next_clock_at = moment
        _store_next_clocks(incidents)
        if settings.IWMS_SWEEP_TEST_DELAY_MS:
            time.sleep(settings.IWMS_SWEEP_TEST_DELAY_MS / 1000)
    return report


def _warning_row(incident: Incident, clock: Clock, now: datetime) -> BreachWarning:
    return BreachWarning(
        organisation_id=incident.organisation_id,
        incident=incident,
        cycle=incident.clock_cycle,
        clock=clock.kind,
        subject_key=clock.subject_key,
        due_at=clock.due,
        warned_at=now,
        # The responsible person cannot hurry the deciders: no mitigation note on the decision's clock.
        mitigation_requested=incident.severity in clocks.MITIGATION_SEVERITIES and clock.kind != ClockKind.DECISION,
    )


def _breach_row(incident: Incident, clock: Clock, now: datetime) -> Breach:
    return Breach(
        organisation_id=incident.organisation_id,
        incident=incident,
        cycle=incident.clock_cycle,
        clock=clock.kind,
        subject_key=clock.subject_key,
        due_at=clock.due,
        breached_at=now,
        severity=incident.severity,
    )


def _record(model: type[models.Model], rows: list[models.Model]) -> list[models.Model | None]:
    """Insert `rows` (breaches or warnings, decided under the incidents' row locks) and give
    them their ids. The unique (incident, cycle, clock, subject) constraint has the last word: where
    the row already existed, nothing is written and None stands in its place, so nobody is
    notified or audited twice."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        new = _insert_new_postgresql(model, rows)
    else:
        incident_ids = {r.incident_id for r in rows}
        before = set(_stored_keys(model, incident_ids))
        model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        new = {key: pk for key, pk in _stored_keys(model, incident_ids).items() if key not in before}
    recorded: list[models.Model | None] = []
    for row in rows:
        row.pk = new.get((row.incident_id, row.cycle, row.clock, row.subject_key))
        recorded.append(row if row.pk is not None else None)
    return recorded


def _stored_keys(model: type[models.Model], incident_ids: set[int]) -> dict[tuple[int, int, str, str], int]:
    stored = model.objects.filter(incident_id__in=incident_ids).values_list(
        "incident_id", "cycle", "clock", "subject_key", "pk"
    )
    return {(incident_id, cycle, kind, subject): pk for incident_id, cycle, kind, subject, pk in stored}


def _insert_new_postgresql(model: type[models.Model], rows: list[models.Model]) -> dict[tuple[int, int, str, str], int]:
    """One INSERT … SELECT FROM json_to_recordset(…) ON CONFLICT DO NOTHING RETURNING: the ids
    of the rows that were new, by (incident, cycle, clock, subject)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # Plain values (ids, text, flags, moments): taken as they are, the timestamps stamped once.
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for row in rows:
                setattr(row, f.attname, now)
    values = [{f.column: getattr(row, f.attname) for f in fields} for row in rows]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    source = recordset([(f.column, f.db_type(connection)) for f in fields])
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) "  # noqa: S608 - model metadata
        f"SELECT {names} FROM {source} ON CONFLICT (incident_id, cycle, clock, subject_key) DO NOTHING "
        "RETURNING incident_id, cycle, clock, subject_key, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [rows_json(values)])
        return {(incident_id, cycle, kind, subject): pk for incident_id, cycle, kind, subject, pk in cursor.fetchall()}


@dataclass
class _Escalated:
    """What escalating missed resolve deadlines did: per incident, whether its breach was new
    here and the escalation raised (None at the top, or when someone else recorded the
    breach); the notifications and ledger entries, for the batch to write with its own."""

    outcomes: list[tuple[bool, Escalation | None]]
    drafts: list[notifications.Draft]
    events: list[tuple[int, Entry]]


def _escalate_all(
    missed: list[tuple[Incident, Clock]], now: datetime, messages: _Messages, lookups: escalation.Lookups
) -> tuple[list[tuple[bool, Escalation | None] | None], list[notifications.Draft], list[tuple[int, Entry]]]:
    """Escalate the batch's missed resolve deadlines all together; when that fails, one by one,
    so a failing incident (logged, None in its place) is left for a later sweep and the rest go on."""
    if not missed:
        return [], [], []
    if len(missed) > 1:
        try:
            done = _escalate(missed, now, messages, lookups)
            return list(done.outcomes), done.drafts, done.events
        except Exception:
            logger.exception("escalating %s incidents together failed; trying them one by one", len(missed))
    outcomes: list[tuple[bool, Escalation | None] | None] = []
    drafts: list[notifications.Draft] = []
    events: list[tuple[int, Entry]] = []
    for item in missed:
        try:
            done = _escalate([item], now, messages, lookups)
        except Exception:
            logger.exception("escalating %s failed; the sweep tries again in %s", item[0].reference, RETRY_AFTER)
            outcomes.append(None)
            continue
        outcomes += done.outcomes
        drafts += done.drafts
        events += done.events
    return outcomes, drafts, events


def _escalate(
    missed: list[tuple[Incident, Clock]], now: datetime, messages: _Messages, lookups: escalation.Lookups
) -> _Escalated:
    """Record the missed resolve deadlines and escalate (`escalation.escalate_many`), in a
    savepoint of their own: on failure nothing of it stays, its ledger entries included."""
    with transaction.atomic(), audit.collected() as events:
        # Locked already; now every field, and what the escalation names.
        full = Incident.objects.select_related("organisation", "category", "owner", "responsible").in_bulk(
            [incident.pk for incident, _ in missed]
        )
        late = [(full[incident.pk], clock) for incident, clock in missed]
        breaches = _record(Breach, [_breach_row(incident, clock, now) for incident, clock in late])
        drafts: list[notifications.Draft] = []
        new: list[tuple[Incident, Clock]] = []
        for (incident, clock), breach in zip(late, breaches, strict=True):
            if breach is None:  # recorded (and escalated) by someone else
                continue
            ledger: dict[int, list[Entry]] = defaultdict(list)
            drafts += messages.breach(incident, clock, breach, ledger)
            events += [(incident.organisation_id, entry) for entry in ledger[incident.organisation_id]]
            new.append((incident, clock))
        raised = escalation.escalate_many(
            late=[(incident, clock.due) for incident, clock in new],
            now=now,
            drafts=drafts,
            lookups=lookups,
            supervisors=messages.levels,
        )
    raised_by = {incident.pk: escalated for (incident, _), escalated in zip(new, raised, strict=True)}
    return _Escalated(
        [(incident.pk in raised_by, raised_by.get(incident.pk)) for incident, _ in missed], drafts, list(events)
    )


# --- who hears about it, and the ledger ----------------------------------------------------


_NEXT_CLOCKS_SQL = (
    "UPDATE incidents_incident AS i SET next_clock_at = v.at "  # noqa: S608 - no user input
    f"FROM {recordset([('id', 'bigint'), ('at', 'timestamptz')], alias='v')} WHERE i.id = v.id"
)


def _store_next_clocks(incidents: list[Incident]) -> None:
    """Write each incident's `next_clock_at` in one statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_NEXT_CLOCKS_SQL, [rows_json([{"id": i.pk, "at": i.next_clock_at} for i in incidents])])
    else:
        Incident.objects.bulk_update(incidents, ["next_clock_at"])


class SweptPeople:
    """Names and supervisors of the people a sweep notifies, looked up once per sweep for all
    its batches (a sweep lasts seconds: the organogram's answer at its start holds for it)."""

    def __init__(self) -> None:
        self.levels: dict[int, Level | None] = {}  # each person's supervisor level (escalation starts there)
        self.names: dict[int, str] = {}

    def learn(self, incidents: list[Incident]) -> None:
        """Look up those of the incidents' owners and responsible people not known yet."""
        from iwms.models import User

        responsible = {i.responsible_id for i in incidents} - self.levels.keys()
        if responsible:
            self.levels.update(supervisor_levels(responsible, timezone.now()))
        unnamed = ({i.owner_id for i in incidents} | {i.responsible_id for i in incidents}) - self.names.keys()
        if unnamed:
            rows = User.objects.filter(pk__in=unnamed).values_list("pk", "first_name", "last_name", "username")
            self.names.update({pk: f"{first} {last}".strip() or username for pk, first, last, username in rows})


class _Messages:
    """The notifications and ledger entries of a batch's warnings and breaches. What every
    message needs — names, supervisors, links — is read once for the whole batch."""

    def __init__(self, incidents: list[Incident], people: SweptPeople) -> None:
        people.learn(incidents)
        self.levels = people.levels
        self.names = people.names
        # reverse() is slow next to everything else here: reverse once, fill in per message.
        self.incident_link = reverse("incident_detail", args=["REFERENCE"]).replace("REFERENCE", "{}")
        self.mitigation_link = reverse("mitigation_note", args=[0]).replace("/0/", "/{}/")
        self.zone = timezone.get_current_timezone()

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime(clocks.LOCAL_FORMAT)

    def link(self, incident: Incident) -> str:
        return self.incident_link.format(quote(incident.reference))

    def recipients(self, incident: Incident, clock: Clock) -> list[int]:
        """Owner, responsible person and their supervisor, and whoever acts on the clock; for
        the closure decision, the deciders: the supervisor, and the owner."""
        supervisor = self.levels.get(incident.responsible_id)
        if clock.kind == ClockKind.DECISION:
            people = [supervisor and supervisor.holder.pk, incident.owner_id]
            return list(dict.fromkeys(p for p in people if p is not None))
        people = [incident.owner_id, incident.responsible_id, supervisor and supervisor.holder.pk, clock.person_id]
        return list(dict.fromkeys(p for p in people if p is not None))

    def who(self, incident: Incident) -> str:
        return f"{self.names[incident.responsible_id]} is responsible; {self.names[incident.owner_id]} is accountable."

    def warning(
        self, incident: Incident, clock: Clock, warning: BreachWarning, ledger: dict[int, list[Entry]]
    ) -> list[notifications.Draft]:
        when = f"due {self.local(clock.due)} ({clocks.time_to(clock.due, warning.warned_at)})"
        subject = f"At risk: {incident.reference} {clock.label} {when}"
        body = f"{incident.reference} '{incident.title}': the {clock.label} is {when}. {self.who(incident)}"
        link = self.link(incident)
        drafts = [
            notifications.draft(
                recipient=person, event="breach.warning", obj=warning, subject=subject, body=body, url=link
            )
            for person in self.recipients(incident, clock)
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
                    url=self.mitigation_link.format(warning.pk),
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
        return drafts

    def breach(
        self, incident: Incident, clock: Clock, breach: Breach, ledger: dict[int, list[Entry]]
    ) -> list[notifications.Draft]:
        due = self.local(clock.due)
        subject = f"Breached: {incident.reference} {clock.label} of {due}"
        body = (
            f"{incident.reference} '{incident.title}' missed its {clock.label} of {due} "
            f"({incident.get_severity_display()}). The breach stays recorded. {self.who(incident)}"
        )
        link = self.link(incident)
        ledger[incident.organisation_id].append(
            Entry(
                action=AuditAction.UPDATE,
                actor=SWEEP_ACTOR,
                obj=incident,
                message=f"Breach: the {clock.label} of {due} was missed.",
                changes={"breach": breach.pk, "clock": clock.kind, "subject": clock.subject_key, "due_at": clock.due},
            )
        )
        return [
            notifications.draft(
                recipient=person, event="breach.recorded", obj=breach, subject=subject, body=body, url=link
            )
            for person in self.recipients(incident, clock)
        ]
