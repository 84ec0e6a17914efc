"""Who will own and who will execute a new incident, decided by ARC from the organogram."""

from __future__ import annotations

from dataclasses import dataclass

from arc.accountability import resolve_accountable_position
from incidents.models import Category
from iwms.errors import PolicyError
from iwms.models import User
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


def plan_assignment(*, reporter: User, category: Category, kind: str) -> AssignmentPlan:
    """Owner: the holder of the accountable position for the reporter's unit, category and
    kind. Responsible: the reporter's supervisor (one level up), or the owner when the
    reporter holds no position."""
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
