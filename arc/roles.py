"""The roles a user has now: derived from the organogram plus explicit, unexpired grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from arc.choices import Role
from arc.models import RoleGrant
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


def roles_of(user: User, at: datetime | None = None) -> RoleSet:
    """Everything the user may act as at `at`. External roles (auditor, regulator, provider,
    integration) do not make a person a reporter: they are outsiders with scoped access."""
    at = at or timezone.now()
    roles: list[str] = []
    if user.is_superuser:
        roles.append(DerivedRole.PLATFORM_ADMIN)
    positions = positions_of(user, at)
    grants = {grant.role for grant in live_grants(user, at)}
    outsider_roles = {Role.AUDITOR, Role.REGULATOR, Role.EXTERNAL_PROVIDER, Role.INTEGRATION}
    if user.organisation_id and (positions or not (grants & outsider_roles)):
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
