"""Creating incidents, acknowledging them, and the raw lifecycle moves the other services use.

Every move goes through `run_transition` (lock, re-read, transition, save, audit); a move the
lifecycle does not allow is refused with `transition.not_allowed` and audited. The moves named
`_…` below check no policy: only the services of `incidents.services` call them, each after
asking `incidents.policy` (a layering test holds this). Deciding on closure and reopening are
`incidents.services.closure`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, SystemReason, TimeSensitivity
from incidents.core import gates
from incidents.core.clocks import first_clock, refresh_next_clock
from incidents.core.deadlines import deadlines_for, decision_target, policy_for
from incidents.core.policy import may_acknowledge
from incidents.models import Category, Incident, ReferenceCounter
from iwms.audit import record_event
from iwms.bulk_rows import create_with_history
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.refusals import audited_refusals
from iwms.transitions import run_transition
from organogram.models import OrgUnit, Position
from workflows.selectors import main_run
from workflows.services.runs import close_main_run, reopen_main_run

REFERENCE_PREFIX = "INC"
SUBJECT = "incidents.incident"
F = TypeVar("F", bound=Callable[..., Any])


_TAKE_NUMBERS = (
    "UPDATE {table} SET last_number = last_number + %s, updated_at = %s "
    "WHERE organisation_id = %s AND prefix = %s AND year = %s RETURNING last_number"
)


def next_references(
    *, tenant: Organisation | int, at: datetime, count: int, prefix: str = REFERENCE_PREFIX
) -> list[str]:
    """`count` references such as `INC-2026-000123`: numbered per tenant and year, without gaps,
    inside the caller's transaction. Taking numbers is one statement: the increment locks the
    counter row until the caller commits, so a concurrent report waits and takes the next ones."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    year = timezone.localtime(at).year
    sql = _TAKE_NUMBERS.format(table=connection.ops.quote_name(ReferenceCounter._meta.db_table))
    params = [count, connection.ops.adapt_datetimefield_value(timezone.now()), tenant_id, prefix, year]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:  # the first number of the year
            ReferenceCounter.objects.bulk_create(
                [ReferenceCounter(organisation_id=tenant_id, prefix=prefix, year=year)], ignore_conflicts=True
            )
            cursor.execute(sql, params)
            row = cursor.fetchone()
    return [f"{prefix}-{year}-{number:06d}" for number in range(row[0] - count + 1, row[0] + 1)]


def audited(func: F) -> F:
    """Record any refusal of `func` in the ledger after its transaction has rolled back."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with audited_refusals(actor=kwargs.get("actor")):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


UNREAD = object()  # an argument the caller did not give: read it here


def new_incident(
    *,
    tenant: Organisation,
    kind: IncidentKind,
    source: Source,
    category: Category,
    title: str,
    narrative: str,
    location: str,
    severity: Severity,
    unit: OrgUnit | None = None,
    risk_level: RiskLevel,
    time_sensitivity: TimeSensitivity,
    occurred_at: datetime,
    owner: User,
    owner_position: Position,
    responsible: User,
    reporter: User | None = None,
    system_reason: SystemReason | str = "",
    source_reference: str = "",
    parent: Incident | None = None,
    escalation_level: int = 0,
    policy: Any = UNREAD,
    now: datetime | None = None,
) -> Incident:
    """An incident checked and built with its anchors and deadlines, reported `now`, not yet
    numbered or written: `create_incidents` writes it. `policy`, the category's SLA policy
    (`incidents.sla.policy_for`), when the caller has it already."""
    if (source == Source.SYSTEM) != bool(system_reason):
        raise PolicyError(
            "validation.invalid",
            "A system-generated incident needs a reason, and only system-generated incidents have one.",
            tenant=tenant,
            field="system_reason",
        )
    now = now or timezone.now()
    if occurred_at > now:
        raise PolicyError(
            "validation.invalid", "The event cannot have occurred in the future.", tenant=tenant, field="occurred_at"
        )
    deadlines = deadlines_for(severity, now, policy_for(category) if policy is UNREAD else policy)
    return Incident(
        organisation=tenant,
        kind=kind,
        source=source,
        system_reason=system_reason,
        source_reference=source_reference,
        owner=owner,
        owner_position=owner_position,
        initial_responsible=responsible,
        responsible=responsible,
        reporter=reporter,
        title=title,
        narrative=narrative,
        category=category,
        location=location,
        unit=unit,
        risk_level=risk_level,
        severity=severity,
        time_sensitivity=time_sensitivity,
        occurred_at=occurred_at,
        reported_at=now,
        parent=parent,
        escalation_level=escalation_level,
        **asdict(deadlines),
        next_clock_at=first_clock(deadlines, now),
    )


def create_incidents(*, tenant: Organisation, incidents: list[Incident], actor: Any = None) -> list[Incident]:
    """Write incidents built by `new_incident` for one tenant, each audited: their references
    taken in one statement per year, the rows and their history rows in one more (see
    `iwms.bulk_rows.create_with_history`)."""
    if not incidents:
        return []
    with transaction.atomic(savepoint=False):  # a failure aborts the caller's transaction anyway
        by_year: dict[int, list[Incident]] = {}
        for incident in incidents:
            by_year.setdefault(timezone.localtime(incident.reported_at).year, []).append(incident)
        for group in by_year.values():
            numbered = next_references(tenant=tenant, at=group[0].reported_at, count=len(group))
            for incident, reference in zip(group, numbered, strict=True):
                incident.reference = reference
        create_with_history(Incident, incidents)
        for incident in incidents:
            record_event(
                tenant=tenant,
                action=AuditAction.CREATE,
                actor=actor if actor is not None else incident.reporter,
                obj=incident,
                changes={
                    "reference": incident.reference,
                    "kind": incident.kind,
                    "source": incident.source,
                    "category": incident.category.code,
                    "severity": incident.severity,
                    "owner": incident.owner_id,
                    "responsible": incident.responsible_id,
                },
            )
    return incidents


def create_incident(*, tenant: Organisation, actor: Any = None, **fields: Any) -> Incident:
    """Create an incident with its anchors in one transaction, audited (`new_incident` names
    the fields)."""
    return create_incidents(tenant=tenant, incidents=[new_incident(tenant=tenant, **fields)], actor=actor)[0]


@audited
def acknowledge_incident(*, incident: Incident, actor: Any) -> Incident:
    """The responsible person acknowledges an open incident: it is in progress and the
    acknowledge clock stops."""
    may_acknowledge(actor, incident).enforce(incident, state=incident.status)
    gates.check("acknowledge", incident)
    return _acknowledge(incident=incident, actor=actor)


# --- raw transitions: the services of incidents.services call these, nothing else does -------


def _acknowledge(*, incident: Incident, actor: Any) -> Incident:
    acknowledged = run_transition(
        incident, "acknowledge", actor=actor, message="Acknowledged by the responsible person.", at=timezone.now()
    )
    refresh_next_clock(acknowledged)
    return acknowledged


def _submit_for_review(*, incident: Incident, actor: Any) -> Incident:
    """Half-closed: the contain and resolve clocks stop while the review and the deciders work."""
    submitted = run_transition(
        incident,
        "submit_for_review",
        actor=actor,
        action=AuditAction.RESOLVE,
        message="Completed by the responsible person; automated review started. The resolve clock stops.",
        at=timezone.now(),
    )
    return submitted


def _require_corrections(*, incident: Incident, actor: Any, message: str) -> Incident:
    """Back to in progress: the contain and resolve clocks run again with the time they had left."""
    moved = run_transition(
        incident, "require_corrections", actor=actor, action=AuditAction.REVIEW, message=message, at=timezone.now()
    )
    refresh_next_clock(moved)
    return moved


def _accept_review(*, incident: Incident, actor: Any) -> Incident:
    """Pending closure: the closure decision's clock starts (`incidents.sla.decision_target`)."""
    now = timezone.now()
    due = now + decision_target(incident.severity, policy_for(incident.category))
    accepted = run_transition(
        incident,
        "accept_review",
        actor=actor,
        action=AuditAction.REVIEW,
        message="Automated review satisfied.",
        extra_changes={"decision_due_at": due.isoformat()},
        at=now,
        decision_due_at=due,
    )
    refresh_next_clock(accepted)
    return accepted


def _reopen(*, incident: Incident, actor: Any, reason: str, extra_changes: dict[str, Any] | None = None) -> Incident:
    """Reopen a closed incident: a new clock cycle starts now with fresh deadlines under its
    severity (the earlier cycle's breaches, warnings and escalations stay on record), and its
    main workflow opens again (`reopen_workflow`)."""
    if len(reason.strip()) < 15:
        raise PolicyError(
            "validation.invalid",
            "Say why the incident is reopened (at least 15 characters).",
            tenant=incident.organisation,
            field="reason",
            object_type="incidents.incident",
            object_id=str(incident.pk),
        )
    now = timezone.now()
    deadlines = deadlines_for(incident.severity, now, policy_for(incident.category))
    reopened = run_transition(
        incident,
        "reopen",
        actor=actor,
        message=reason.strip(),
        extra_changes={
            "clock_cycle": incident.reopened_count + 1,
            "deadlines": {name: value.isoformat() for name, value in asdict(deadlines).items()},
            **(extra_changes or {}),
        },
        at=now,
        deadlines=deadlines,
    )
    reopen_workflow(incident=reopened, actor=actor, reason=reason.strip())
    refresh_next_clock(reopened)
    return reopened


# --- the main workflow follows the incident -----------------------------------------------------


def close_workflow(*, incident: Incident, actor: Any) -> None:
    """The incident closed: its main workflow is resolved with it."""
    run = main_run(subject_type=SUBJECT, subject_id=incident.pk, tenant=incident.organisation_id)
    if run is not None:
        close_main_run(run=run, actor=actor, resolution=f"{incident.reference} closed.")


def reopen_workflow(*, incident: Incident, actor: Any, reason: str) -> None:
    """The incident reopened: its main workflow opens again, its open steps due within the new
    cycle; an incident that never had one gets its category's workflow now, fitted inside the
    new resolve deadline."""
    from incidents.core.services.incident_workflows import start_incident_workflow

    run = main_run(subject_type=SUBJECT, subject_id=incident.pk, tenant=incident.organisation_id)
    if run is None:
        start_incident_workflow(incident=incident, actor=actor)
        return
    reopen_main_run(
        run=run,
        actor=actor,
        reason=f"{incident.reference} reopened: {reason}",
        started_at=incident.clock_start,
        finish_by=incident.resolve_due_at,
    )
