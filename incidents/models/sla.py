"""SLA policies: acknowledge and resolve targets per severity, set per tenant and chosen per
category (seed 002 §5, seed 004 severity response targets)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from iwms.models import TenantScopedModel


class SlaPolicy(TenantScopedModel):
    """Acknowledge and resolve targets in minutes for each severity; contain falls halfway.
    A category names its policy; a category without one uses the tenant's default policy, and
    a tenant without a default uses the seed defaults (`incidents.sla.DEFAULT_TARGETS`)."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False, help_text="Used by categories that name no policy.")
    sev1_ack_minutes = models.PositiveIntegerField(default=5)
    sev1_resolve_minutes = models.PositiveIntegerField(default=60)
    sev2_ack_minutes = models.PositiveIntegerField(default=15)
    sev2_resolve_minutes = models.PositiveIntegerField(default=4 * 60)
    sev3_ack_minutes = models.PositiveIntegerField(default=60)
    sev3_resolve_minutes = models.PositiveIntegerField(default=24 * 60)
    sev4_ack_minutes = models.PositiveIntegerField(default=4 * 60)
    sev4_resolve_minutes = models.PositiveIntegerField(default=72 * 60)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation_id", "code"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="slapolicy_unique_code"),
            models.UniqueConstraint(
                fields=["organisation"], condition=Q(is_default=True), name="slapolicy_one_default_per_tenant"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"sev{n}_ack_minutes__gt": 0})
                    & Q(**{f"sev{n}_resolve_minutes__gt": F(f"sev{n}_ack_minutes")}),
                    name=f"slapolicy_sev{n}_ack_before_resolve",
                )
                for n in range(1, 5)
            ],
        ]

    def __str__(self) -> str:
        return self.name

    def minutes_for(self, severity: str) -> tuple[int, int]:
        """(acknowledge, resolve) minutes for `severity` ("sev1" … "sev4")."""
        return getattr(self, f"{severity}_ack_minutes"), getattr(self, f"{severity}_resolve_minutes")
