"""What the header offers the signed-in person: computed once per request in one query, from
the same rules the policies apply, so a link never leads to a refusal. The same row carries the
person's unread notifications, for the inbox badge. The query's SQL is compiled once per
process (`iwms.prepared_queries`): building it with the ORM on every page cost more than
running it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from arc.choices import Role
from arc.models import RoleGrant
from arc.roles import NON_REPORTING_ROLES, is_reporter
from incidents.models import AccessGrant, Escalation, Incident
from iwms.models import Notification, User
from iwms.prepared_queries import SENTINEL_ID, SENTINEL_TIME, PreparedQuery
from organogram.hierarchy import assignments_at

# The HTMX event a page sends when what the inbox badge counts may have changed.
INBOX_CHANGED = "inbox-changed"


@dataclass(frozen=True)
class Navigation:
    may_report: bool = False
    closure_queue: bool = False
    portal: bool = False
    provider_steps: bool = False
    tenant_admin: bool = False
    # The managers' incident list: for people who own incidents, supervise someone (or had an
    # incident escalated to them) or administer the tenant.
    managed_incidents: bool = False
    unread: int = 0


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


def _facts_query(*, person: int, now: datetime) -> QuerySet[dict[str, Any]]:
    live_roles = RoleGrant.objects.filter(user_id=OuterRef("pk"), revoked_at__isnull=True, starts_at__lte=now).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    held = assignments_at(now).filter(person_id=OuterRef("pk"), position__is_active=True)
    held_ids = assignments_at(now).filter(person_id=person).values("position_id")
    reports = (
        assignments_at(now).filter(position__parent_id__in=held_ids, position__is_active=True).exclude(person_id=person)
    )
    unread = (
        Notification.objects.filter(
            organisation_id=OuterRef("organisation_id"), recipient_id=OuterRef("pk"), read_at__isnull=True
        )
        .order_by()
        .values("recipient_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        User.objects.filter(pk=person)
        .annotate(
            holds_position=Exists(held),
            outsider=Exists(live_roles.filter(role__in=NON_REPORTING_ROLES)),
            provider=Exists(live_roles.filter(role=Role.EXTERNAL_PROVIDER)),
            admin=Exists(live_roles.filter(role=Role.TENANT_ADMIN)),
            granted=Exists(AccessGrant.objects.filter(grantee_id=OuterRef("pk"), issued_at__isnull=False)),
            supervises=Exists(reports) | Exists(Escalation.objects.filter(to_person_id=OuterRef("pk"))),
            owns=Exists(Incident.objects.filter(organisation_id=OuterRef("organisation_id"), owner_id=OuterRef("pk"))),
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
        )
        .values("holds_position", "outsider", "provider", "admin", "granted", "supervises", "owns", "unread")
    )


FACTS = PreparedQuery(_facts_query, person=SENTINEL_ID, now=SENTINEL_TIME)


def _facts(user: User) -> Navigation:
    row = FACTS.row(person=user.pk, now=timezone.now())
    if row is None:
        return NOTHING
    return Navigation(
        may_report=is_reporter(
            has_organisation=True,
            holds_position=bool(row["holds_position"]),
            granted=NON_REPORTING_ROLES if row["outsider"] else frozenset(),
        ),
        closure_queue=bool(row["supervises"]),
        # The portal lists the grants issued to the person (live or ended); without one it has nothing.
        portal=bool(row["granted"]),
        provider_steps=bool(row["provider"]),
        tenant_admin=bool(row["admin"]),
        managed_incidents=bool(row["supervises"] or row["owns"] or row["admin"]),
        unread=row["unread"],
    )
