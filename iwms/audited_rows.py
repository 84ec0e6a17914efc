"""Saving and deleting a governed row with its one ledger event: the field deltas of the change,
naming who made it. The building block of the small services each app offers for edits that
have no dedicated verb (the Django admin's add, change and delete of structure and settings);
those services check first, then call these inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from iwms.audit import object_label, record_event
from iwms.choices import AuditAction

# Bookkeeping columns every row has; a delta of them says nothing about the change.
_UNTRACKED = frozenset({"created_at", "updated_at", "organisation"})


def field_values(obj: models.Model) -> dict[str, Any]:
    """The row's own values by field name (foreign keys as ids), bookkeeping left out."""
    return {
        field.name: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if not field.primary_key and field.name not in _UNTRACKED
    }


def deltas(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for the fields whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def stored_values(obj: models.Model) -> dict[str, Any]:
    """The values of the row as stored now, locked for the caller's transaction."""
    return field_values(type(obj)._default_manager.select_for_update().get(pk=obj.pk))


def save_audited(*, obj: models.Model, actor: Any, how: str = "in the admin", **save_kwargs: Any) -> dict[str, Any]:
    """Save `obj` (a new row or an edited copy of a stored one) and append one ledger event:
    a `create` with its values, or an `update` with the deltas against the stored row. Nothing
    is recorded when nothing changed. Call inside a transaction. Returns the recorded changes."""
    created = obj._state.adding or obj.pk is None
    before = {} if created else stored_values(obj)
    obj.save(**save_kwargs)
    after = field_values(obj)
    if created:
        changes: dict[str, Any] = {name: value for name, value in after.items() if value not in (None, "", [])}
    else:
        changes = deltas(before, after)
        if not changes:
            return {}
    verb = "added" if created else f"changed ({', '.join(changes)})"
    record_event(
        tenant=obj.organisation_id,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        actor=actor,
        obj=obj,
        message=f"{obj._meta.verbose_name.capitalize()} {obj} {verb} {how}.",
        changes=changes,
    )
    return changes


def delete_audited(*, obj: models.Model, actor: Any, how: str = "in the admin") -> None:
    """Delete `obj` and append one ledger event naming it, with the values it had. Call inside
    a transaction; a row other rows still reference is refused by the database (PROTECT)."""
    object_type, object_id = object_label(obj)
    values = stored_values(obj)
    tenant_id = obj.organisation_id
    label = f"{obj._meta.verbose_name.capitalize()} {obj}"
    obj.delete()
    record_event(
        tenant=tenant_id,
        action=AuditAction.UPDATE,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        message=f"{label} deleted {how}.",
        changes={"deleted": [False, True], **{name: [value, None] for name, value in values.items()}},
    )
