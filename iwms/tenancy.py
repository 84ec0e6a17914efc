"""Tenant isolation at the application level: which models are tenant-owned and the
reference check every tenant-owned save runs. The database-level twin is `iwms.db_guards`."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

from django.db import models

from iwms.errors import PolicyError


def is_tenant_owned(model: type[models.Model]) -> bool:
    """True for models whose rows carry `organisation` (not for simple-history's copies)."""
    if getattr(model, "_history_model", False) or hasattr(model, "instance_type"):
        return False
    try:
        field = model._meta.get_field("organisation")
    except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends
        return False
    return bool(field.is_relation and field.related_model._meta.label == "iwms.Organisation")


# The audit ledger records facts, among them refusals of outsiders from another tenant: its
# actor must be able to name them, so its references are not tenant references.
REFERENCE_EXEMPT_MODELS = frozenset({"iwms.auditevent"})


def is_reference_exempt(model: type[models.Model]) -> bool:
    return model._meta.label_lower in REFERENCE_EXEMPT_MODELS


def tenant_foreign_keys(model: type[models.Model], *, include_exempt: bool = False) -> Iterator[models.ForeignKey]:
    """The foreign keys of a tenant-owned model that point at other tenant-owned rows."""
    if is_reference_exempt(model) and not include_exempt:
        return iter(())
    return iter(_tenant_foreign_keys(model))


@functools.cache
def _tenant_foreign_keys(model: type[models.Model]) -> tuple[models.ForeignKey, ...]:
    """Computed once per model class: every save asks."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and field.name != "organisation"
        and is_tenant_owned(field.related_model)
    )


def check_tenant_references(instance: models.Model, update_fields: Iterable[str] | None = None) -> None:
    """Refuse to save a row whose foreign keys point into another tenant.

    A referenced row without a tenant (a platform superuser) is allowed: it belongs to no
    tenant's data. The refusal is audited where the transaction ends (`iwms.refusals`).
    A save limited to `update_fields` writes only those: only the keys among them are checked
    (all of them when the row's own tenant is among them).
    """
    own_tenant = getattr(instance, "organisation_id", None)
    if own_tenant is None:
        return
    fields = tenant_foreign_keys(type(instance))
    if update_fields is not None:
        names = set(update_fields)
        if not names & {"organisation", "organisation_id"}:
            fields = (f for f in fields if f.name in names or f.attname in names)
    for field in fields:
        value = getattr(instance, field.attname)
        if value is None:
            continue
        cached = field.get_cached_value(instance, default=None)
        if cached is not None and cached.pk == value:
            referenced_tenant = cached.organisation_id
        else:
            referenced_tenant = (
                field.related_model._base_manager.filter(pk=value).values_list("organisation_id", flat=True).first()
            )
        if referenced_tenant is not None and referenced_tenant != own_tenant:
            raise PolicyError(
                "tenant.cross_reference",
                f"{instance._meta.verbose_name.capitalize()} cannot refer to "
                f"{field.related_model._meta.verbose_name} of another organisation.",
                tenant=instance.organisation,
                model=instance._meta.label,
                field=field.name,
                referenced_id=str(value),
            )
