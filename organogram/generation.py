"""The organogram's generation token: it changes, in the same transaction, with every change
to a tenant's units, positions, assignments, accountability rules or people, so an answer
derived from the structure (who owns what a person reports, `incidents.services.assignment`)
can be kept and found stale by reading one row.

Changes are caught by model signals, so services, the admin and fixtures alike move the
token; `tracked` names the models. Writes that skip signals (`QuerySet.update`,
`bulk_create`) on those models must call `changed` themselves."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Min, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from iwms.models import Organisation
from organogram.models import Generation, OrgUnit, Position, PositionAssignment, Shift

# Saving these fields of a user changes nothing the organogram answers (sign-ins save last_login).
_USER_FIELDS_THAT_MATTER = frozenset({"is_active", "organisation", "organisation_id"})


def current(tenant: Organisation | int) -> uuid.UUID | None:
    """The tenant's token, or None before its organogram has ever changed (nothing is kept then).
    An organisation read with `select_related("organogram_generation")` (in the caller's
    transaction) answers without another query."""
    if isinstance(tenant, Organisation):
        if Organisation.organogram_generation.is_cached(tenant):
            row = getattr(tenant, "organogram_generation", None)
            return row.token if row is not None else None
        tenant = tenant.pk
    return Generation.objects.filter(organisation_id=tenant).values_list("token", flat=True).first()


def changed(tenant_id: int | None) -> None:
    """Give the tenant a new token (inside the caller's transaction)."""
    if tenant_id is None:
        return
    token = uuid.uuid4()
    if not Generation.objects.filter(organisation_id=tenant_id).update(token=token, changed_at=timezone.now()):
        Generation.objects.update_or_create(organisation_id=tenant_id, defaults={"token": token})


def next_boundary(tenant_id: int, now: datetime) -> datetime | None:
    """The next moment an assignment of the tenant starts or ends: who holds a position changes
    then without any write, so nothing derived may be kept past it."""
    upcoming = PositionAssignment.objects.filter(organisation_id=tenant_id).aggregate(
        starts=Min("starts_at", filter=Q(starts_at__gt=now)), ends=Min("ends_at", filter=Q(ends_at__gt=now))
    )
    moments = [moment for moment in upcoming.values() if moment is not None]
    return min(moments, default=None)


def _on_change(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    user_detail = sender._meta.label_lower == "iwms.user" and update_fields is not None
    if user_detail and not _USER_FIELDS_THAT_MATTER.intersection(update_fields):
        return
    changed(getattr(instance, "organisation_id", None))


def tracked(models_: Iterable[type[models.Model]]) -> None:
    """Move the token whenever a row of these models is saved or deleted."""
    for model in models_:
        uid = f"organogram-generation-{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + "-delete")


STRUCTURE = (OrgUnit, Shift, Position, PositionAssignment)
