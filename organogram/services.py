"""Writes to the organogram. Each function is one transaction and one audit event."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from iwms.audit import record_event
from iwms.audited_rows import delete_audited, save_audited
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.refusals import audited_refusals
from organogram.choices import AssignmentKind, UnitKind
from organogram.hierarchy import ancestor_ids
from organogram.models import OrgUnit, Position, PositionAssignment, Shift


def create_unit(
    *, tenant: Organisation, code: str, name: str, kind: UnitKind, parent: OrgUnit | None = None, actor: Any = None
) -> OrgUnit:
    with transaction.atomic():
        unit = OrgUnit(organisation=tenant, code=code, name=name, kind=kind, parent=parent)
        unit.save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor,
            obj=unit,
            changes={"code": code, "name": name, "kind": kind, "parent": parent.pk if parent else None},
        )
    return unit


def create_shift(
    *, tenant: Organisation, unit: OrgUnit, code: str, name: str, starts_at: time, ends_at: time, actor: Any = None
) -> Shift:
    with transaction.atomic():
        shift = Shift(organisation=tenant, unit=unit, code=code, name=name, starts_at=starts_at, ends_at=ends_at)
        shift.save()
        record_event(
            tenant=tenant, action=AuditAction.CREATE, actor=actor, obj=shift, changes={"code": code, "unit": unit.pk}
        )
    return shift


def create_position(
    *,
    tenant: Organisation,
    code: str,
    title: str,
    unit: OrgUnit,
    reports_to: Position | None = None,
    is_unit_head: bool = False,
    shift: Shift | None = None,
    actor: Any = None,
) -> Position:
    with transaction.atomic():
        position = Position(
            organisation=tenant,
            code=code,
            title=title,
            unit=unit,
            parent=reports_to,
            is_unit_head=is_unit_head,
            shift=shift,
        )
        position.save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor,
            obj=position,
            changes={
                "code": code,
                "title": title,
                "unit": unit.pk,
                "reports_to": reports_to.pk if reports_to else None,
            },
        )
    return position


def check_reporting_line(position: Position, reports_to: Position | None) -> None:
    """Refuse a reporting line to another tenant's position, to an abolished one, or under the
    position's own subtree (a cycle)."""
    if reports_to is None:
        return
    if reports_to.organisation_id != position.organisation_id:
        raise PolicyError(
            "tenant.cross_reference",
            "A position can only report to a position of the same organisation.",
            tenant=position.organisation,
            object_type="organogram.position",
            object_id=str(position.pk),
            field="parent",
        )
    if not Position.objects.filter(pk=reports_to.pk, is_active=True).exists():  # not the caller's copy
        raise PolicyError(
            "organogram.position_inactive",
            f"{position} cannot report to {reports_to}: that position has been abolished.",
            tenant=position.organisation,
            object_type="organogram.position",
            object_id=str(reports_to.pk),
            field="parent",
        )
    if position.pk is not None and position.pk in {reports_to.pk, *ancestor_ids(Position, reports_to.pk)}:
        raise PolicyError(
            "organogram.cycle",
            f"{position} cannot report to {reports_to}: it is above it.",
            tenant=position.organisation,
            object_type="organogram.position",
            object_id=str(position.pk),
            field="parent",
        )


def move_position(*, position: Position, reports_to: Position | None, actor: Any = None) -> Position:
    """Change the reporting line. Refuses a move under the position's own subtree."""
    with transaction.atomic():
        locked = Position.objects.select_for_update().get(pk=position.pk)
        check_reporting_line(locked, reports_to)
        before = locked.parent_id
        locked.parent = reports_to
        locked.save()
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=locked,
            changes={"reports_to": [before, reports_to.pk if reports_to else None]},
        )
    return locked


def abolish_position(*, position: Position, actor: Any = None, at: datetime | None = None) -> Position:
    """Mark a role as no longer existing and end its open assignments."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Position.objects.select_for_update().get(pk=position.pk)
        for assignment in PositionAssignment.objects.select_for_update().filter(position=locked, ends_at__isnull=True):
            end_assignment(assignment=assignment, ends_at=at, actor=actor)
        locked.is_active = False
        locked.save()
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=locked,
            changes={"is_active": [True, False]},
        )
    return locked


def assign_person(
    *,
    position: Position,
    person: User,
    kind: AssignmentKind = AssignmentKind.SUBSTANTIVE,
    starts_at: datetime | None = None,
    note: str = "",
    actor: Any = None,
) -> PositionAssignment:
    """Put a person into a position from `starts_at`. A position has one open holder per kind:
    to replace someone, end their assignment first (history is kept, never overwritten)."""
    starts_at = starts_at or timezone.now()
    tenant = position.organisation
    try:
        with transaction.atomic():
            # Decide on the locked row: the caller's copy may predate an abolition.
            locked = Position.objects.select_for_update().get(pk=position.pk)
            if not locked.is_active:
                raise PolicyError(
                    "organogram.position_inactive",
                    f"{position} has been abolished.",
                    tenant=tenant,
                    object_type="organogram.position",
                    object_id=str(position.pk),
                )
            # Any holder of this kind whose time overlaps [starts_at, open end): an open one, or
            # one that left after the new holder would start. Either would make "who held this
            # position on date X" ambiguous.
            occupied = (
                PositionAssignment.objects.filter(position=position, kind=kind)
                .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
                .select_related("person")
                .first()
            )
            if occupied is not None:
                if occupied.ends_at is None:
                    message = f"{position} already has a {kind} holder ({occupied.person}); end that assignment first."
                else:
                    message = (
                        f"{position} had a {kind} holder ({occupied.person}) until "
                        f"{occupied.ends_at:%Y-%m-%d %H:%M}; the new assignment cannot start before that."
                    )
                raise PolicyError(
                    "organogram.position_filled",
                    message,
                    tenant=tenant,
                    object_type="organogram.position",
                    object_id=str(position.pk),
                )
            assignment = PositionAssignment(
                organisation=tenant, position=position, person=person, kind=kind, starts_at=starts_at, note=note
            )
            assignment.save()
            record_event(
                tenant=tenant,
                action=AuditAction.ASSIGN,
                actor=actor,
                obj=assignment,
                changes={"position": position.pk, "person": person.pk, "kind": kind},
            )
    except IntegrityError as exc:  # a concurrent assignment won the race for the open slot
        raise PolicyError(
            "organogram.position_filled",
            f"{position} was filled at the same time.",
            tenant=tenant,
            object_type="organogram.position",
            object_id=str(position.pk),
        ) from exc
    return assignment


def end_assignment(
    *, assignment: PositionAssignment, ends_at: datetime | None = None, actor: Any = None
) -> PositionAssignment:
    ends_at = ends_at or timezone.now()
    with transaction.atomic():
        locked = PositionAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.ends_at is not None:
            raise PolicyError(
                "organogram.assignment_closed",
                f"This assignment already ended on {locked.ends_at:%Y-%m-%d}.",
                tenant=locked.organisation,
                object_type="organogram.positionassignment",
                object_id=str(locked.pk),
            )
        if ends_at <= locked.starts_at:
            raise PolicyError(
                "validation.invalid",
                f"An assignment cannot end before it started ({locked.starts_at:%Y-%m-%d %H:%M}).",
                tenant=locked.organisation,
                object_type="organogram.positionassignment",
                object_id=str(locked.pk),
                field="ends_at",
            )
        locked.ends_at = ends_at
        locked.save()
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=locked,
            changes={"ends_at": [None, ends_at.isoformat()]},
        )
    return locked


# --- edits without a dedicated verb (the Django admin) ------------------------------------------

STRUCTURE_MODELS = (OrgUnit, Shift, Position, PositionAssignment)


def _check_unit_parent(unit: OrgUnit) -> None:
    parent = unit.parent
    if parent is None:
        return
    if parent.organisation_id != unit.organisation_id:
        raise PolicyError(
            "tenant.cross_reference",
            "A unit can only belong to a unit of the same organisation.",
            tenant=unit.organisation,
            object_type="organogram.orgunit",
            object_id=str(unit.pk),
            field="parent",
        )
    if unit.pk is not None and unit.pk in {parent.pk, *ancestor_ids(OrgUnit, parent.pk)}:
        raise PolicyError(
            "organogram.cycle",
            f"{unit} cannot belong to {parent}: it is above it.",
            tenant=unit.organisation,
            object_type="organogram.orgunit",
            object_id=str(unit.pk),
            field="parent",
        )


def save_structure(*, obj: OrgUnit | Shift | Position | PositionAssignment, actor: Any) -> Any:
    """Add or change a unit, shift, position or assignment outside the dedicated verbs (the
    Django admin): the same checks as those verbs, then one ledger event with the field deltas
    naming `actor`. A new assignment is `assign_person`; ending one is `end_assignment`;
    abolishing a position is `abolish_position` (its holders' assignments end with it)."""
    with audited_refusals(actor=actor), transaction.atomic():
        if isinstance(obj, PositionAssignment):
            if obj._state.adding:
                return assign_person(
                    position=obj.position,
                    person=obj.person,
                    kind=AssignmentKind(obj.kind),
                    starts_at=obj.starts_at,
                    note=obj.note,
                    actor=actor,
                )
            stored = PositionAssignment.objects.select_for_update().get(pk=obj.pk)
            if stored.ends_at is None and obj.ends_at is not None:
                end_assignment(assignment=stored, ends_at=obj.ends_at, actor=actor)
                obj.refresh_from_db()
                return obj
        if isinstance(obj, Position):
            check_reporting_line(obj, obj.parent)
            if not obj._state.adding and not obj.is_active:
                stored = Position.objects.select_for_update().get(pk=obj.pk)
                if stored.is_active:
                    obj.is_active = True  # the other edits first, then the abolition with its effects
                    save_audited(obj=obj, actor=actor)
                    return abolish_position(position=obj, actor=actor)
        if isinstance(obj, OrgUnit):
            _check_unit_parent(obj)
        try:
            with transaction.atomic():
                save_audited(obj=obj, actor=actor)
        except IntegrityError as exc:
            raise PolicyError(
                "validation.invalid",
                f"This change conflicts with the organogram: {exc}",
                tenant=obj.organisation,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk or ""),
            ) from exc
    return obj


def delete_structure(*, obj: OrgUnit | Shift | Position | PositionAssignment, actor: Any) -> None:
    """Delete a unit, shift, position or assignment (the Django admin), with its ledger event.
    Rows still referenced are protected by the database; assignments are ended, not deleted,
    unless entered by mistake."""
    with audited_refusals(actor=actor), transaction.atomic():
        delete_audited(obj=obj, actor=actor)
