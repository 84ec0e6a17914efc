"""Tenancy: the `Organisation` and the one mechanism every tenant-owned model uses."""

from __future__ import annotations

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords


class Organisation(models.Model):
    """A tenant: one organisation whose people, structure and incidents are kept apart."""

    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantQuerySet(models.QuerySet):
    """Scopes rows to a tenant. Selectors start from `for_tenant`, never from `.all()`."""

    def for_tenant(self, tenant: Organisation | int) -> TenantQuerySet:
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return self.filter(organisation_id=tenant_id)


class TenantScopedModel(models.Model):
    """Base of every tenant-owned model.

    Saving checks that every foreign key points at a row of the same tenant (or at a
    platform-level row with no tenant) and refuses with `tenant.cross_reference`; database
    triggers installed by `iwms.db_guards` refuse the same on paths that skip `save()`.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        from iwms.tenancy import check_tenant_references

        check_tenant_references(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)
