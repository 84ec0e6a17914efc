"""Lookups that reach into another tenant: the 404 they get, the refusal the ledger keeps, and
the alert repeated attempts raise.

Every view that finds a row by a key the user typed or followed (a reference, an id, a token)
and comes back empty raises `not_found(...)`. The user always sees the same 404, whether the
key names nothing, a row of their own tenant they may not see, or a row of another tenant —
so nothing leaks. The ledger of the user's tenant records every such refused lookup alike
(`tenant.cross_reference`, action `access_denied`, the key and the kind of row): a record only
for keys that exist elsewhere told the tenant admin reading the Security page that they exist
in another tenant (issue 13). When one user's refused lookups in
`IWMS_CROSS_TENANT_ALERT_WINDOW_MINUTES` reach `IWMS_CROSS_TENANT_ALERT_THRESHOLD`, the tenant
admins of the user's tenant are told, and — when any of the keys named rows of another tenant —
that tenant's admins too (about their own rows only), once each per window (the notifications'
unique key guarantees it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from arc.choices import Role
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification, User
from iwms.refusals import record_refusal

logger = logging.getLogger("iwms.cross_tenant")

CODE = "tenant.cross_reference"
ALERT_EVENT = "security.cross_tenant"
ALERT_CODE = "tenant.cross_reference.alert"


def not_found(user: Any, model: type[models.Model], message: str = "Not found.", **lookup: Any) -> Http404:
    """The 404 for a lookup of `model` by `lookup` that found nothing `user` may see; audits
    the refused lookup (and alerts on repeated ones). Raise the result."""
    try:
        probe_other_tenants(user, model, **lookup)
    except Exception:
        logger.exception("could not check a lookup of %s for other tenants", model._meta.label)
    return Http404(message)


def probe_other_tenants(user: Any, model: type[models.Model], **lookup: Any) -> int | None:
    """Record the refused lookup — the same record whether the key names nothing, a row of the
    user's tenant they may not see, or rows of other tenants — and alert on repeated ones.
    Returns the id of the other tenant whose rows the key named (the first, when several), or
    None: only the alert to that tenant's admins uses it, and nothing of it is recorded here."""
    if user is None or not getattr(user, "is_authenticated", False) or user.organisation_id is None:
        return None
    if not lookup or any(value in (None, "") for value in lookup.values()):
        return None
    try:
        owners = set(model._base_manager.filter(**lookup).values_list("organisation_id", flat=True)[:20])
    except (ValueError, TypeError):  # a key of the wrong shape names nothing
        owners = set()
    owners.discard(None)
    field, value = next(iter(lookup.items()))
    refusal = PolicyError(
        CODE,
        f"Looked up {model._meta.verbose_name} {value}; nothing they may see has that key, refused as not found.",
        tenant=user.organisation,
        object_type=model._meta.label_lower,
        object_id=str(value)[:64],
        lookup=field.split("__", 1)[0],
    )
    record_refusal(refusal, actor=user)
    others = owners - {user.organisation_id}
    probed = min(others) if others else None
    raise_alert_if_repeated(user=user, probed_tenant_id=probed)
    return probed


# --- the alert ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertWindow:
    """The fixed window `at` falls in: alerts are unique per user and window."""

    start: datetime
    minutes: int

    @classmethod
    def at(cls, at: datetime) -> AlertWindow:
        minutes = max(1, settings.IWMS_CROSS_TENANT_ALERT_WINDOW_MINUTES)
        seconds = minutes * 60
        start = datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, tz=at.tzinfo)
        return cls(start=start, minutes=minutes)

    def key(self, user: User) -> str:
        return f"{user.pk}@{self.start:%Y%m%dT%H%M}"


def attempts_within(user: User, since: datetime) -> int:
    return AuditEvent.objects.filter(
        organisation_id=user.organisation_id,
        created_at__gte=since,
        actor=user,
        action=AuditAction.ACCESS_DENIED,
        changes__code=CODE,
    ).count()


def tenant_admins(tenant_id: int, at: datetime) -> list[User]:
    """People of the tenant holding the tenant admin role now."""
    return list(
        User.objects.filter(
            organisation_id=tenant_id,
            is_active=True,
            role_grants__role=Role.TENANT_ADMIN,
            role_grants__revoked_at__isnull=True,
            role_grants__starts_at__lte=at,
        )
        .filter(Q(role_grants__expires_at__isnull=True) | Q(role_grants__expires_at__gt=at))
        .distinct()
        .order_by("pk")
    )


def raise_alert_if_repeated(*, user: User, probed_tenant_id: int | None, at: datetime | None = None) -> list[int]:
    """Alert the tenant admins of the user's tenant (and of the probed one, when this lookup
    named rows of another tenant) when the user's refused lookups within the sliding window
    reach the threshold; each admin is told once per fixed window about one user. Returns the
    ids of the notifications written now."""
    at = at or timezone.now()
    threshold = settings.IWMS_CROSS_TENANT_ALERT_THRESHOLD
    minutes = max(1, settings.IWMS_CROSS_TENANT_ALERT_WINDOW_MINUTES)
    if threshold <= 0:
        return []
    count = attempts_within(user, at - timedelta(minutes=minutes))
    if count < threshold:
        return []
    window = AlertWindow.at(at)
    key = window.key(user)
    own_tenant = user.organisation_id
    who = user.get_full_name() or user.username
    security = reverse("security_events")
    drafts = [
        notifications.Draft(
            recipient_id=admin.pk,
            event=ALERT_EVENT,
            object_type="iwms.user",
            object_id=key,
            subject=f"{who} tried {count} times to open rows they may not see",
            body=(
                f"{who} ({user.username}) looked up {count} rows that do not exist or are not theirs to see within "
                f"{minutes} minutes. Each attempt was refused as 'not found' and recorded in your ledger. "
                "Check whether the account is misused or compromised; the list shows every attempt."
            ),
            url=f"{security}?actor={user.pk}",
            tenant_id=own_tenant,
        )
        for admin in tenant_admins(own_tenant, at)
    ]
    if probed_tenant_id is not None and probed_tenant_id != own_tenant:
        drafts += [
            notifications.Draft(
                recipient_id=admin.pk,
                event=ALERT_EVENT,
                object_type="iwms.user",
                object_id=key,
                subject="A user of another organisation keeps trying to open your rows",
                body=(
                    f"A signed-in user of another organisation looked up {count} rows outside their own "
                    f"organisation within {minutes} minutes, among them rows of yours. Nothing was shown to them. "
                    "Their organisation's administrators have been alerted too; the list shows what was probed."
                ),
                url=security,
                tenant_id=probed_tenant_id,
            )
            for admin in tenant_admins(probed_tenant_id, at)
        ]
    # The (recipient, event, object) unique key of notifications keeps each admin's alert about
    # this user and window to one row, whoever writes it first; the rows that were not there
    # before are the ones this call wrote.
    alerts = Notification.objects.filter(event=ALERT_EVENT, object_type="iwms.user", object_id=key)
    before = set(alerts.values_list("pk", flat=True))
    notifications.notify_many(drafts)
    created = [(pk, tenant_id) for pk, tenant_id in alerts.values_list("pk", "organisation_id") if pk not in before]
    for tenant_id in sorted({tenant_id for _, tenant_id in created}, key=lambda t: t != own_tenant):
        record_event(
            tenant=tenant_id,
            action=AuditAction.NOTIFY,
            # The probed tenant learns that it was probed, not who probed it.
            actor=user if tenant_id == own_tenant else "cross-tenant guard",
            object_type="iwms.user",
            object_id=str(user.pk) if tenant_id == own_tenant else "",
            message=(
                f"{count} refused lookups within {minutes} minutes; tenant admins alerted."
                if tenant_id == own_tenant
                else f"A user of another organisation looked up rows of yours ({count} attempts "
                f"within {minutes} minutes)."
            ),
            changes={"code": ALERT_CODE, "attempts": count, "window_start": window.start},
        )
    return sorted(pk for pk, _ in created)
