"""SLA policies: acknowledge and resolve targets per severity, set per tenant and chosen per
category (seed 002 §5, seed 004 severity response targets)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from incidents.choices import Severity
from iwms.models import TenantScopedModel


class SlaPolicy(TenantScopedModel):
    """Acknowledge, resolve and closure-decision targets in minutes for each severity (contain
    falls halfway between acknowledge and resolve), and whether a missed resolve deadline of
    that severity escalates. A category names its policy; a category without one uses the
    tenant's default policy, and a tenant without a default uses the seed defaults
    (`incidents.sla`)."""

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
    sev1_decision_minutes = models.PositiveIntegerField(
        default=4 * 60, help_text="SEV-1: the closure decision is due this long after it is pending closure."
    )
    sev2_decision_minutes = models.PositiveIntegerField(default=8 * 60)
    sev3_decision_minutes = models.PositiveIntegerField(default=24 * 60)
    sev4_decision_minutes = models.PositiveIntegerField(default=72 * 60)
    sev1_escalates = models.BooleanField(
        default=True, help_text="SEV-1: a missed resolve deadline escalates up the organogram."
    )
    sev2_escalates = models.BooleanField(default=True)
    sev3_escalates = models.BooleanField(default=True)
    sev4_escalates = models.BooleanField(
        default=False, help_text="SEV-4 is resolved as scheduled work: its breach is recorded, nobody is escalated to."
    )
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
            *[
                models.CheckConstraint(
                    condition=Q(**{f"sev{n}_decision_minutes__gt": 0}), name=f"slapolicy_sev{n}_decision_positive"
                )
                for n in range(1, 5)
            ],
        ]

    def __str__(self) -> str:
        return self.name

    def minutes_for(self, severity: str) -> tuple[int, int]:
        """(acknowledge, resolve) minutes for `severity` ("sev1" … "sev4")."""
        return getattr(self, f"{severity}_ack_minutes"), getattr(self, f"{severity}_resolve_minutes")


class SeverityDefinition(TenantScopedModel):
    """What SEV-1 … SEV-4 mean in one tenant, shown wherever severity is chosen (the report
    wizard, the change-severity form). A tenant without rows gets the defaults for its industry
    (`incidents.severity.definitions_for`): seed 003's wording for IT and security tenants, the
    mining wording otherwise."""

    severity = models.CharField(max_length=8, choices=Severity.choices)
    definition = models.TextField(help_text="What an incident of this severity is.")
    response = models.TextField(blank=True, help_text="What response is expected.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation_id", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "severity"], name="severitydefinition_once_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.definition[:60]}"
