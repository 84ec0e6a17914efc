"""Who may change or verify the organogram: department heads for their own unit and the units
below it, tenant admins for the whole tenant. Pages ask these questions to show or grey out an
action; the services ask them again to refuse."""

from __future__ import annotations

from arc.choices import Role
from arc.roles import may_administer_tenant, roles_of
from iwms.decisions import Decision
from iwms.models import User
from organogram.hierarchy import ancestor_ids, positions_of
from organogram.models import OrgUnit


def headed_unit_ids(user: User) -> set[int]:
    """The units whose head position `user` holds now (substantive or acting)."""
    return {position.unit_id for position in positions_of(user) if position.is_unit_head}


def may_read_organogram(user: User) -> Decision:
    """The organogram pages are for the organisation's own people (who hold a position) and its
    tenant admins; auditors, regulators and providers read through their grants instead."""
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, "The organogram is for the people of an organisation.")
    roles = roles_of(user)
    if not roles.positions and Role.TENANT_ADMIN not in roles:
        return Decision(False, "The organogram is for the organisation's own people and its tenant admins.")
    return Decision(True)


def may_view_organogram(user: User, unit: OrgUnit) -> Decision:
    if not user.is_authenticated or user.organisation_id != unit.organisation_id:
        return Decision(False, "This unit belongs to another organisation.")
    return may_read_organogram(user)


def may_change_unit(user: User, unit: OrgUnit) -> Decision:
    """Tenant admins change any unit; a unit head changes their own unit and every unit below."""
    seen = may_view_organogram(user, unit)
    if not seen:
        return seen
    if Role.TENANT_ADMIN in roles_of(user):
        return Decision(True)
    headed = headed_unit_ids(user)
    if headed and headed & {unit.pk, *ancestor_ids(OrgUnit, unit.pk)}:
        return Decision(True)
    return Decision(
        False,
        f"Only the head of {unit} (or of a unit above it) and tenant admins change its structure.",
        code="access_denied",
    )


def may_receive_hr_events(user: User) -> Decision:
    """The HR-event form is for tenant admins; the HR system uses the API with its own token."""
    decision = may_administer_tenant(user)
    if not decision:
        return Decision(False, "Only tenant admins enter HR events.")
    return decision
