"""Who may read which assurance dashboard: the tenant's dashboard is for tenant admins and the
top of the hierarchy; a unit's is for the head of that unit or of a unit above it, and for
those who see the tenant's."""

from __future__ import annotations

from arc.choices import Role
from arc.roles import DerivedRole, roles_of
from iwms.decisions import Decision
from iwms.models import User
from organogram.hierarchy import ancestor_ids, positions_of
from organogram.models import OrgUnit

TENANT_REFUSAL = "The organisation's assurance dashboard is for tenant admins and the top of the hierarchy."
UNIT_REFUSAL = "A unit's assurance dashboard is for the head of that unit or of a unit above it."


def may_view_tenant_dashboard(user: User) -> Decision:
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, TENANT_REFUSAL)
    roles = roles_of(user)
    if Role.TENANT_ADMIN in roles or DerivedRole.TOP in roles:
        return Decision(True)
    return Decision(False, TENANT_REFUSAL)


def headed_units(user: User) -> list[OrgUnit]:
    """The units whose head position the user holds now."""
    return [p.unit for p in positions_of(user) if p.is_unit_head and p.is_active]


def may_view_unit_dashboard(user: User, unit: OrgUnit) -> Decision:
    if not user.is_authenticated or user.organisation_id != unit.organisation_id:
        return Decision(False, UNIT_REFUSAL)
    if may_view_tenant_dashboard(user):
        return Decision(True)
    headed = {u.pk for u in headed_units(user)}
    if headed & {unit.pk, *ancestor_ids(OrgUnit, unit.pk)}:
        return Decision(True)
    return Decision(False, UNIT_REFUSAL)


WEIGHTS_REFUSAL = "A tenant's maturity weights are set by its tenant admins or the platform admin."


def may_set_maturity_weights(user: User, tenant_id: int) -> Decision:
    if user.is_authenticated and user.is_superuser:
        return Decision(True)
    if user.is_authenticated and user.organisation_id == tenant_id and Role.TENANT_ADMIN in roles_of(user):
        return Decision(True)
    return Decision(False, WEIGHTS_REFUSAL)
