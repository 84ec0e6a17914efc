"""Changing the organogram from its pages: add, move or retire a position, appoint a person
(substantively or acting) and end an appointment — each effective-dated, each through the
organogram's own services (ledger event, history), each refused when it would create a
reporting cycle or leave open incidents routed to nobody, and each kept as a `StructureChange`
on the unit's history."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.governance.choices import StructureChangeKind
from incidents.governance.models import StructureChange
from incidents.governance.policy import may_change_unit
from incidents.governance.services.routing_guard import positions_below, refuse_if_unrouted
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals
from organogram import services as organogram
from organogram.choices import AssignmentKind
from organogram.hierarchy import ancestors
from organogram.models import OrgUnit, Position, PositionAssignment, Shift

MIN_REASON = 10


def _check(actor: User, unit: OrgUnit, reason: str) -> str:
    may_change_unit(actor, unit).enforce(unit)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise PolicyError.on(
            "validation.invalid",
            f"Say why the structure changes (at least {MIN_REASON} characters).",
            unit,
            field="reason",
        )
    return reason


def _record(
    *,
    kind: StructureChangeKind,
    position: Position,
    actor: User,
    reason: str,
    summary: str,
    effective_at: datetime,
    person: User | None = None,
) -> StructureChange:
    change = StructureChange(
        organisation_id=position.organisation_id,
        kind=kind,
        unit_id=position.unit_id,
        position=position,
        person=person,
        effective_at=effective_at,
        reason=reason,
        summary=summary[:400],
        actor=actor,
    )
    change.save()
    record_event(
        tenant=position.organisation_id,
        action=AuditAction.CREATE,
        actor=actor,
        obj=change,
        message=f"{summary} Reason: {reason}",
        changes={"kind": kind, "position": position.pk, "effective_at": effective_at.isoformat()},
    )
    return change


def _refuse_cycle(position: Position, reports_to: Position | None) -> None:
    """A reporting line under the position's own subtree, refused with the chain that closes."""
    if reports_to is None or position.pk is None:
        return
    chain = [reports_to, *ancestors(reports_to)]
    if position.pk in {p.pk for p in chain}:
        path = [str(p) for p in chain[: [p.pk for p in chain].index(position.pk) + 1]]
        raise PolicyError.on(
            "organogram.cycle",
            f"{position} cannot report to {reports_to}: that would make a reporting cycle "
            f"({' → '.join(path)} → {reports_to}).",
            position,
            field="reports_to",
            affected=path,
        )


def add_position(
    *,
    unit: OrgUnit,
    code: str,
    title: str,
    reports_to: Position | None,
    actor: User,
    reason: str,
    is_unit_head: bool = False,
    shift: Shift | None = None,
) -> Position:
    with audited_refusals(actor=actor), transaction.atomic():
        reason = _check(actor, unit, reason)
        if Position.objects.for_tenant(unit.organisation_id).filter(code=code).exists():
            raise PolicyError.on(
                "validation.invalid", f"A position with the code {code} exists already.", unit, field="code"
            )
        if reports_to is not None:
            organogram.check_reporting_line(Position(organisation_id=unit.organisation_id), reports_to)
        position = organogram.create_position(
            tenant=unit.organisation,
            code=code,
            title=title,
            unit=unit,
            reports_to=reports_to,
            is_unit_head=is_unit_head,
            shift=shift,
            actor=actor,
        )
        line = f", reporting to {reports_to}" if reports_to else ", at the top"
        _record(
            kind=StructureChangeKind.ADD_POSITION,
            position=position,
            actor=actor,
            reason=reason,
            summary=f"Position {title} added to {unit}{line}.",
            effective_at=timezone.now(),
        )
    return position


def change_reporting_line(*, position: Position, reports_to: Position | None, actor: User, reason: str) -> Position:
    """Move a position (and everything below it) under another position, from now."""
    with audited_refusals(actor=actor), transaction.atomic():
        reason = _check(actor, position.unit, reason)
        _refuse_cycle(position, reports_to)
        before = position.parent
        now = timezone.now()
        moved = refuse_if_unrouted(
            position_ids=positions_below(position),
            at=now,
            change=lambda: organogram.move_position(position=position, reports_to=reports_to, actor=actor),
            obj=position,
        )
        _record(
            kind=StructureChangeKind.MOVE_POSITION,
            position=moved,
            actor=actor,
            reason=reason,
            summary=f"{position} now reports to {reports_to or 'nobody (top)'} instead of {before or 'nobody'}.",
            effective_at=now,
        )
    return moved


def retire_position(*, position: Position, actor: User, reason: str, at: datetime | None = None) -> Position:
    """Abolish a role from `at` (now by default); its holders' appointments end with it."""
    at = at or timezone.now()
    with audited_refusals(actor=actor), transaction.atomic():
        reason = _check(actor, position.unit, reason)
        if Position.objects.filter(parent=position, is_active=True).exists():
            below = ", ".join(str(p) for p in Position.objects.filter(parent=position, is_active=True))
            raise PolicyError.on(
                "organogram.leaves_unrouted",
                f"{position} still has positions reporting to it ({below}); move them first.",
                position,
                affected=[below],
            )
        retired = refuse_if_unrouted(
            position_ids=positions_below(position),
            at=max(at, timezone.now()),
            change=lambda: organogram.abolish_position(position=position, actor=actor, at=at),
            obj=position,
        )
        _record(
            kind=StructureChangeKind.RETIRE_POSITION,
            position=retired,
            actor=actor,
            reason=reason,
            summary=f"Position {position} retired.",
            effective_at=at,
        )
    return retired


def appoint(
    *,
    position: Position,
    person: User,
    actor: User,
    reason: str,
    kind: AssignmentKind = AssignmentKind.SUBSTANTIVE,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> PositionAssignment:
    """Put a person into a position from `starts_at`; an acting appointment may end on a date."""
    starts_at = starts_at or timezone.now()
    with audited_refusals(actor=actor), transaction.atomic():
        reason = _check(actor, position.unit, reason)
        if person.organisation_id != position.organisation_id or not person.is_active:
            raise PolicyError.on(
                "validation.invalid", "Choose an active person of your organisation.", position, field="person"
            )
        if ends_at is not None and ends_at <= starts_at:
            raise PolicyError.on(
                "validation.invalid", "The appointment must end after it starts.", position, field="ends_at"
            )
        assignment = organogram.assign_person(
            position=position, person=person, kind=kind, starts_at=starts_at, note=reason[:300], actor=actor
        )
        if ends_at is not None:
            assignment = organogram.end_assignment(assignment=assignment, ends_at=ends_at, actor=actor)
        acting = kind == AssignmentKind.ACTING
        until = f" until {ends_at:%Y-%m-%d}" if ends_at else ""
        _record(
            kind=StructureChangeKind.ACTING if acting else StructureChangeKind.ASSIGN,
            position=position,
            actor=actor,
            reason=reason,
            person=person,
            effective_at=starts_at,
            summary=f"{person.get_full_name() or person} {'acts as' if acting else 'appointed to'} {position} "
            f"from {starts_at:%Y-%m-%d}{until}.",
        )
    return assignment


def end_appointment(
    *, assignment: PositionAssignment, actor: User, reason: str, ends_at: datetime | None = None
) -> PositionAssignment:
    """End a person's appointment from `ends_at` (now by default)."""
    ends_at = ends_at or timezone.now()
    position = assignment.position
    with audited_refusals(actor=actor), transaction.atomic():
        reason = _check(actor, position.unit, reason)
        ended = refuse_if_unrouted(
            position_ids=positions_below(position),
            at=max(ends_at, timezone.now()),
            change=lambda: organogram.end_assignment(assignment=assignment, ends_at=ends_at, actor=actor),
            obj=position,
        )
        _record(
            kind=StructureChangeKind.END_ASSIGNMENT,
            position=position,
            actor=actor,
            reason=reason,
            person=assignment.person,
            effective_at=ends_at,
            summary=f"{assignment.person.get_full_name() or assignment.person} leaves {position} "
            f"from {ends_at:%Y-%m-%d}.",
        )
    return ended
