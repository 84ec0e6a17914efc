"""What the header offers the signed-in person: computed once per request in one query, from
the same rules the policies apply, so a link never leads to a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from arc.choices import Role
from arc.models import RoleGrant
from arc.roles import OUTSIDER_ROLES, is_reporter
from incidents.models import AccessGrant, Escalation
from iwms.models import User
from organogram.hierarchy import assignments_at


@dataclass(frozen=True)
class Navigation:
    may_report: bool = False
    closure_queue: bool = False
    portal: bool = False
    provider_steps: bool = False
    tenant_admin: bool = False


NOTHING = Navigation()


def navigation_for(request: Any) -> Navigation:
    """The header's links for the request's user, cached on the request."""
    cached = getattr(request, "_iwms_navigation", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    facts = _facts(user) if user is not None and user.is_authenticated and user.organisation_id else NOTHING
    request._iwms_navigation = facts
    return facts


def _facts(user: User) -> Navigation:
    now = timezone.now()
    live_roles = RoleGrant.objects.filter(user_id=OuterRef("pk"), revoked_at__isnull=True, starts_at__lte=now).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    held = assignments_at(now).filter(person_id=OuterRef("pk"), position__is_active=True)
    held_ids = assignments_at(now).filter(person_id=user.pk).values("position_id")
    reports = (
        assignments_at(now)
        .filter(position__parent_id__in=held_ids, position__is_active=True)
        .exclude(person_id=user.pk)
    )
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            holds_position=Exists(held),
            outsider=Exists(live_roles.filter(role__in=OUTSIDER_ROLES)),
            provider=Exists(live_roles.filter(role=Role.EXTERNAL_PROVIDER)),
            admin=Exists(live_roles.filter(role=Role.TENANT_ADMIN)),
            granted=Exists(AccessGrant.objects.filter(grantee_id=OuterRef("pk"), issued_at__isnull=False)),
            supervises=Exists(reports) | Exists(Escalation.objects.filter(to_person_id=OuterRef("pk"))),
        )
        .values("holds_position", "outsider", "provider", "admin", "granted", "supervises")
        .first()
    )
    if row is None:
        return NOTHING
    return Navigation(
        may_report=is_reporter(
            has_organisation=True,
            holds_position=row["holds_position"],
            granted=OUTSIDER_ROLES if row["outsider"] else frozenset(),
        ),
        closure_queue=row["supervises"],
        # The portal lists the grants issued to the person (live or ended); without one it has nothing.
        portal=row["granted"],
        provider_steps=row["provider"],
        tenant_admin=row["admin"],
    )
