"""The roles a user has now: derived from the organogram plus explicit, unexpired grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from arc.choices import Role
from arc.models import RoleGrant
from iwms.decisions import Decision
from iwms.models import User
from organogram.hierarchy import assignments_at, positions_of
from organogram.models import Position


class DerivedRole:
    REPORTER = "reporter"
    SUPERVISOR = "supervisor"
    DEPARTMENT_HEAD = "department_head"
    TOP = "top"
    PLATFORM_ADMIN = "platform_admin"


ROLE_LABELS = {
    DerivedRole.REPORTER: "reporter",
    DerivedRole.SUPERVISOR: "supervisor",
    DerivedRole.DEPARTMENT_HEAD: "department head",
    DerivedRole.TOP: "top of hierarchy",
    DerivedRole.PLATFORM_ADMIN: "platform admin",
    **{choice.value: choice.label for choice in Role},
}


def live_grants(user: User, at: datetime | None = None) -> list[RoleGrant]:
    at = at or timezone.now()
    return list(
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True, starts_at__lte=at)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        .order_by("role")
    )


@dataclass(frozen=True)
class RoleSet:
    positions: list[Position]
    roles: list[str]

    @property
    def labels(self) -> list[str]:
        return [ROLE_LABELS[role] for role in self.roles]

    def __contains__(self, role: str) -> bool:
        return role in self.roles


OUTSIDER_ROLES = frozenset({Role.AUDITOR, Role.REGULATOR, Role.EXTERNAL_PROVIDER, Role.INTEGRATION})
# Outsiders who never report: read-only roles and machine accounts. External providers do
# report what they see on site (seed 000 lists "external provider" as a source).
NON_REPORTING_ROLES = OUTSIDER_ROLES - {Role.EXTERNAL_PROVIDER}


def is_reporter(*, has_organisation: bool, holds_position: bool, granted: set[str] | frozenset[str]) -> bool:
    """A person of an organisation reports unless they are only a read-only outsider there
    (auditor, regulator) or an integration account, without a position."""
    return has_organisation and (holds_position or not (set(granted) & NON_REPORTING_ROLES))


# Roles that read and never act: never asked for information, never handed work.
READ_ONLY_ROLES = frozenset({Role.AUDITOR, Role.REGULATOR})


def live_grants_of_roles(roles: frozenset[str], at: datetime | None = None) -> QuerySet[RoleGrant]:
    """The unexpired, unrevoked grants of `roles` (filter on `user_id` for the people)."""
    at = at or timezone.now()
    return RoleGrant.objects.filter(role__in=roles, revoked_at__isnull=True, starts_at__lte=at).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )


def is_read_only(user: User, at: datetime | None = None) -> bool:
    """Whether `user` holds a read-only role (auditor, regulator) now."""
    return live_grants_of_roles(READ_ONLY_ROLES, at).filter(user=user).exists()


def roles_of(user: User, at: datetime | None = None) -> RoleSet:
    """Everything the user may act as at `at`. Auditors, regulators and integration accounts do
    not make a person a reporter: they are outsiders with scoped access; external providers
    report what they see on site."""
    at = at or timezone.now()
    roles: list[str] = []
    if user.is_superuser:
        roles.append(DerivedRole.PLATFORM_ADMIN)
    positions = positions_of(user, at)
    grants = {grant.role for grant in live_grants(user, at)}
    if is_reporter(has_organisation=bool(user.organisation_id), holds_position=bool(positions), granted=grants):
        roles.append(DerivedRole.REPORTER)
    if positions:
        ids = [p.pk for p in positions]
        if any(p.parent_id is None for p in positions):
            roles.append(DerivedRole.TOP)
        if any(p.is_unit_head and p.unit.kind == "department" for p in positions):
            roles.append(DerivedRole.DEPARTMENT_HEAD)
        if assignments_at(at).filter(position__parent_id__in=ids).exclude(person=user).exists():
            roles.append(DerivedRole.SUPERVISOR)
    roles.extend(sorted(grants))
    return RoleSet(positions, roles)


def may_administer_tenant(user: User) -> Decision:
    """Tenant administration pages (grants, security events): tenant admins of their own tenant."""
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, "Only a tenant admin of an organisation administers it.")
    if Role.TENANT_ADMIN not in roles_of(user):
        return Decision(False, "Only tenant admins administer grants and read the security events.")
    return Decision(True)
