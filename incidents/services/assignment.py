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
from organogram.hierarchy import ancestors, holders_by_position, primary_position, supervisor_of
from organogram.models import OrgUnit, Position


@dataclass(frozen=True)
class AssignmentPlan:
    owner: User
    owner_position: Position
    responsible: User
    explanation: list[str]
    flagged: bool  # a vacant position was skipped: the organogram needs attention


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
    *, reporter: User, category: Category, kind: str, tenant: Organisation | None = None
) -> AssignmentPlan:
    """Owner: the holder of the accountable position for the reporter's unit, category and
    kind. Responsible: the reporter's supervisor (one level up), or the owner when the
    reporter holds no position. Kept while the tenant's organogram generation is the same
    (`tenant`, the reporter's organisation, may come with its generation already read)."""
    token = generation.current(tenant if tenant is not None else reporter.organisation_id)
    if token is None:
        return _plan(reporter=reporter, category=category, kind=kind)
    key = (reporter.organisation_id, token, reporter.pk, category.code, kind)
    now = timezone.now()
    kept = _PLANS.get(key)
    if kept is not None and (kept[1] is None or now < kept[1]):
        return _copy(kept[0])
    plan = _plan(reporter=reporter, category=category, kind=kind)
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
    )


def _plan(*, reporter: User, category: Category, kind: str) -> AssignmentPlan:
    position = primary_position(reporter)
    unit = (
        position.unit
        if position
        else OrgUnit.objects.for_tenant(reporter.organisation_id).filter(parent__isnull=True).first()
    )
    if unit is None:
        raise PolicyError(
            "arc.no_accountability_rule", "The organisation has no organogram yet.", tenant=reporter.organisation
        )
    accountability = resolve_accountable_position(unit=unit, kind=kind, category_code=category.code)
    owner_position, owner, owner_flagged = _filled_at_or_above(accountability.position)
    explanation = [f"Owner: {accountability.explanation}"]
    if owner_flagged:
        explanation.append(f"{accountability.position} is vacant; {owner_position} holds accountability.")
    supervisor = supervisor_of(reporter, position=position) if position else None
    if supervisor is not None:
        responsible = supervisor.holder
        explanation.append(f"Responsible: your supervisor, {supervisor.position}.")
        flagged = owner_flagged or supervisor.flagged
    else:
        responsible = owner
        explanation.append("Responsible: the owner, because you hold no position in the organogram.")
        flagged = owner_flagged
    return AssignmentPlan(owner, owner_position, responsible, explanation, flagged)
