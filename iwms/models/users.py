"""The custom user: a person (or an integration account) of exactly one tenant."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from simple_history.models import HistoricalRecords

from iwms.choices import NotificationDelivery
from iwms.models.tenancy import Organisation


class TenantUserManager(UserManager):
    def for_tenant(self, tenant: Organisation | int) -> models.QuerySet:
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return self.filter(organisation_id=tenant_id)


class User(AbstractUser):
    """A person who signs in. Belongs to one tenant; only platform superusers have none."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    employee_number = models.CharField(max_length=40, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    session_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised by 'sign out everywhere': sessions begun under an earlier value are ended.",
    )
    notification_delivery = models.CharField(
        max_length=16,
        choices=NotificationDelivery.choices,
        default=NotificationDelivery.IMMEDIATE,
        help_text="E-mail each notification at once, or gather them in an hourly or daily digest. "
        "The inbox has every notification either way.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = TenantUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | models.Q(is_superuser=True),
                name="user_has_tenant_unless_superuser",
                violation_error_message="Every user except a platform superuser belongs to a tenant.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "employee_number"],
                condition=~models.Q(employee_number=""),
                name="user_unique_employee_number_per_tenant",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Users are tenant-owned too; the same reference check applies to their own FKs.
        from iwms.tenancy import check_tenant_references

        check_tenant_references(self)
        super().save(*args, **kwargs)
