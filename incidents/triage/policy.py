"""Who may triage, approve a re-prioritisation, keep a decision tree, write a breach's
post-mortem and read the breach trend."""

from __future__ import annotations

from arc.choices import Role
from arc.roles import DerivedRole, roles_of
from incidents.choices import IncidentStatus
from incidents.core.policy import may_change_severity
from incidents.models import Breach, Category, Incident
from iwms.decisions import Decision
from iwms.models import User
from organogram.hierarchy import ancestor_ids, positions_of
from organogram.models import Position


def may_triage(user: User, incident: Incident) -> Decision:
    """Triage is a severity judgement: those who may change the severity triage (the owner, the
    responsible person, anyone above the responsible person), while the incident is not closed."""
    return may_change_severity(user, incident)


def is_manager_of(user: User, incident: Incident) -> bool:
    """A manager of the incident holds a position above the responsible person's."""
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return False
    held = {position.pk for position in positions_of(user)}
    if not held:
        return False
    above: set[int] = set()
    for position in positions_of(incident.responsible):
        above.update(ancestor_ids(Position, position.pk))
    return bool(held & above)


def may_decide_reprioritisation(user: User, incident: Incident, requested_by_id: int) -> Decision:
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return Decision(False, "This incident belongs to another organisation.")
    if incident.status == IncidentStatus.CLOSED:
        return Decision(False, "A closed incident keeps its severity and priority.", code="transition.not_allowed")
    if user.pk == requested_by_id:
        return Decision(False, "Nobody approves their own re-prioritisation; a manager above decides.")
    if not is_manager_of(user, incident):
        return Decision(
            False, f"Only a manager above the responsible person, {incident.responsible}, decides a re-prioritisation."
        )
    return Decision(True)


def may_keep_decision_tree(user: User, category: Category) -> Decision:
    """A category's custodian (the holder of its custodian position, or a category-custodian
    grant) or a tenant admin writes its decision tree."""
    if not user.is_authenticated or user.organisation_id != category.organisation_id:
        return Decision(False, "This category belongs to another organisation.")
    roles = roles_of(user)
    if Role.TENANT_ADMIN in roles or Role.CATEGORY_CUSTODIAN in roles:
        return Decision(True)
    if category.custodian_position_id and category.custodian_position_id in {p.pk for p in roles.positions}:
        return Decision(True)
    return Decision(False, f"Only the custodian of {category.code} or a tenant admin keeps its decision tree.")


def may_review_breach(user: User, breach: Breach) -> Decision:
    """The incident's owner is asked for the post-mortem of its breaches."""
    incident = breach.incident
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return Decision(False, "This breach belongs to another organisation.")
    if user.pk != incident.owner_id:
        return Decision(False, f"The owner, {incident.owner}, writes the post-mortem of this breach.")
    return Decision(True)


MANAGING = {DerivedRole.SUPERVISOR, DerivedRole.DEPARTMENT_HEAD, DerivedRole.TOP, Role.TENANT_ADMIN}


def may_read_breach_trend(user: User) -> Decision:
    """The weekly breach trend is for those who manage: supervisors, department heads, the top and
    tenant admins (the weekly governance cadence of seed 002 §6.3)."""
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, "Only people of an organisation read its breach trend.")
    if not MANAGING & set(roles_of(user).roles):
        return Decision(False, "The breach trend is for supervisors, department heads, the top and tenant admins.")
    return Decision(True)
