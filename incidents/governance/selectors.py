"""Reads of the organogram pages, scoped to the user's tenant, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404
from django.utils import timezone

from incidents.governance.models import StructuralFinding, StructureChange, Verification
from iwms.models import User
from organogram.choices import AssignmentKind
from organogram.hierarchy import assignments_at
from organogram.models import OrgUnit, Position, PositionAssignment


def get_unit_for_user(user: User, code: str) -> OrgUnit:
    unit = OrgUnit.objects.for_tenant(user.organisation_id).filter(code=code).select_related("parent").first()
    if unit is None:
        raise Http404("No such unit in your organisation.")
    return unit


def get_position_for_user(user: User, code: str) -> Position:
    position = (
        Position.objects.for_tenant(user.organisation_id)
        .filter(code=code)
        .select_related("unit__organisation", "parent", "shift")
        .first()
    )
    if position is None:
        raise Http404("No such position in your organisation.")
    return position


@dataclass
class PositionRow:
    """A position as its unit's page and chart show it."""

    position: Position
    holder: PositionAssignment | None
    acting: PositionAssignment | None
    parent_holder: str = ""

    @property
    def vacant(self) -> bool:
        return self.holder is None and self.acting is None


def position_rows(units: list[OrgUnit], at: datetime | None = None) -> list[PositionRow]:
    """The active positions of `units` with their substantive and acting holders: two queries."""
    at = at or timezone.now()
    positions = list(
        Position.objects.filter(unit__in=units, is_active=True)
        .select_related("unit", "shift", "parent")
        .order_by("unit__name", "title")
    )
    ids = {p.pk for p in positions} | {p.parent_id for p in positions if p.parent_id}
    held: dict[tuple[int, str], PositionAssignment] = {}
    for assignment in assignments_at(at).filter(position_id__in=ids).select_related("person"):
        held[(assignment.position_id, assignment.kind)] = assignment
    rows = []
    for p in positions:
        boss = held.get((p.parent_id, AssignmentKind.SUBSTANTIVE)) or held.get((p.parent_id, AssignmentKind.ACTING))
        rows.append(
            PositionRow(
                p,
                held.get((p.pk, AssignmentKind.SUBSTANTIVE)),
                held.get((p.pk, AssignmentKind.ACTING)),
                (boss.person.get_full_name() or str(boss.person)) if boss else "",
            )
        )
    return rows


def subtree(unit: OrgUnit) -> list[OrgUnit]:
    return list(OrgUnit.objects.descendants(unit, include_self=True).order_by("name"))


def unit_history(unit: OrgUnit, limit: int = 20) -> list[StructureChange]:
    return list(StructureChange.objects.filter(unit=unit).select_related("actor", "position")[:limit])


def open_findings(tenant_id: int, unit: OrgUnit | None = None) -> list[StructuralFinding]:
    findings = StructuralFinding.objects.for_tenant(tenant_id).filter(resolved_at__isnull=True).select_related("unit")
    if unit is not None:
        findings = findings.filter(unit=unit)
    return list(findings[:200])


def verifications_of(unit: OrgUnit) -> tuple[Verification | None, Verification | None]:
    """The open verification of the unit (not signed off yet) and the last signed-off one."""
    rows = list(Verification.objects.filter(unit=unit).select_related("verifier")[:6])
    pending = next((v for v in rows if v.verified_at is None), None)
    verified = next((v for v in rows if v.verified_at is not None), None)
    return pending, verified
