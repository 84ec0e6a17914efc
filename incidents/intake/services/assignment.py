"""Who will own and who will execute a new incident, decided by ARC from the organogram."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.utils import timezone

from arc.accountability import resolve_accountable_position
from incidents.models import Category
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from organogram import generation
from organogram.hierarchy import ancestor_ids, ancestors, holders_by_position, primary_position, supervisor_of
from organogram.models import OrgUnit, Position


@dataclass(frozen=True)
class AssignmentPlan:
    owner: User
    owner_position: Position
    responsible: User
    explanation: list[str]
    flagged: bool  # a vacant position was skipped: the organogram needs attention
    unit: OrgUnit | None = None  # where it happened: the unit accountability was routed by
    reporter_holds_position: bool = True


def _filled_at_or_above(position: Position) -> tuple[Position, User, bool]:
    holder = holders_by_position([position]).get(position.pk)
    if holder is not None and position.is_active:
        return position, holder, False
    chain = [position, *ancestors(position)]
    holders = holders_by_position(chain)
    for index, candidate in enumerate(chain):
        if candidate.pk in holders and candidate.is_active:
            return candidate, holders[candidate.pk], index > 0
    raise PolicyError(
        "arc.no_accountability_rule", f"Nobody holds {position} or any position above it.", tenant=position.organisation
    )


# Plans already worked out, by (tenant, organogram generation, reporter, category, kind), each
# with the moment it stops holding (the next start or end of an assignment). A bounded
# per-process memo: a report reads one row to know its entry is current instead of walking
# the organogram again.
_PLANS: dict[tuple[Any, ...], tuple[AssignmentPlan, datetime | None]] = {}
_PLANS_KEPT = 4096


def plan_assignment(
    *,
    reporter: User,
    category: Category,
    kind: str,
    unit: OrgUnit | None = None,
    tenant: Organisation | None = None,
) -> AssignmentPlan:
    """Owner: the holder of the accountable position for the unit where it happened (`unit`;
    the reporter's own unit when not given), the category and the kind. Responsible: the
    reporter's supervisor (one level up) when it happened in the reporter's own part of the
    organisation; otherwise the head of the unit where it happened; the owner when the reporter
    holds no position. Kept while the tenant's organogram generation is the same (`tenant`,
    the reporter's organisation, may come with its generation already read)."""
    token = generation.current(tenant if tenant is not None else reporter.organisation_id)
    if token is None:
        return _plan(reporter=reporter, category=category, kind=kind, unit=unit)
    key = (reporter.organisation_id, token, reporter.pk, category.code, kind, unit.pk if unit else None)
    now = timezone.now()
    kept = _PLANS.get(key)
    if kept is not None and (kept[1] is None or now < kept[1]):
        return _copy(kept[0])
    plan = _plan(reporter=reporter, category=category, kind=kind, unit=unit)
    if len(_PLANS) >= _PLANS_KEPT:
        _PLANS.clear()
    _PLANS[key] = (plan, generation.next_boundary(reporter.organisation_id, now))
    return _copy(plan)


def _copy(plan: AssignmentPlan) -> AssignmentPlan:
    """Each caller gets its own rows, so nothing one request does to them reaches another."""
    return replace(
        plan,
        owner=copy.copy(plan.owner),
        owner_position=copy.copy(plan.owner_position),
        responsible=copy.copy(plan.responsible),
        explanation=list(plan.explanation),
        unit=copy.copy(plan.unit),
    )


def _within(unit: OrgUnit, place: OrgUnit) -> bool:
    """Whether `unit` is `place` or lies below it in the organogram."""
    return unit.pk == place.pk or place.pk in ancestor_ids(OrgUnit, unit.pk)


def unit_head(unit: OrgUnit) -> Position | None:
    """The unit's head position, or failing one, its own top position (the one whose reporting
    line leaves the unit)."""
    positions = list(Position.objects.filter(unit=unit, is_active=True).select_related("parent"))
    heads = [p for p in positions if p.is_unit_head] or [
        p for p in positions if p.parent is None or p.parent.unit_id != unit.pk
    ]
    return min(heads, key=lambda p: p.pk) if heads else None


def _plan(*, reporter: User, category: Category, kind: str, unit: OrgUnit | None = None) -> AssignmentPlan:
    position = primary_position(reporter)
    own_unit = (
        position.unit
        if position
        else OrgUnit.objects.for_tenant(reporter.organisation_id).filter(parent__isnull=True).first()
    )
    elsewhere = unit is not None and own_unit is not None and not _within(own_unit, unit)
    if unit is None:
        unit = own_unit
    if unit is None:
        raise PolicyError(
            "arc.no_accountability_rule", "The organisation has no organogram yet.", tenant=reporter.organisation
        )
    accountability = resolve_accountable_position(unit=unit, kind=kind, category_code=category.code)
    owner_position, owner, owner_flagged = _filled_at_or_above(accountability.position)
    explanation = [f"Owner: {accountability.explanation}"]
    if owner_flagged:
        explanation.append(f"{accountability.position} is vacant; {owner_position} holds accountability.")
    head = unit_head(unit) if elsewhere else None
    supervisor = supervisor_of(reporter, position=position) if position and not elsewhere else None
    if head is not None:
        head_position, responsible, head_flagged = _filled_at_or_above(head)
        explanation.append(f"Responsible: {head_position}, because it happened in {unit}, outside your unit.")
        flagged = owner_flagged or head_flagged
    elif supervisor is not None:
        responsible = supervisor.holder
        explanation.append(f"Responsible: your supervisor, {supervisor.position}.")
        flagged = owner_flagged or supervisor.flagged
    else:
        responsible = owner
        explanation.append("Responsible: the owner, because you hold no position in the organogram.")
        flagged = owner_flagged
    return AssignmentPlan(owner, owner_position, responsible, explanation, flagged, unit, position is not None)
