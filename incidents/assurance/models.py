"""Derived tables of the KPI engine: one fact row per counted incident and the daily rollups
summed from them, both rebuilt from the incidents at will (`rebuild_kpi_rollups`), and the
tenant's maturity weights.

Facts and rollups hold plain ids for their dimensions (unit, category): they are derived data
that a rebuild recreates, and an update of a rollup's sums must not pay a foreign-key check."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from iwms.models import TenantScopedModel


class Measures(models.Model):
    """The additive measures of the KPI engine (see `assurance.kpis`): a fact holds one
    incident's, a rollup the sum of its facts. Durations are in seconds."""

    items = models.IntegerField(default=0, help_text="Counted incidents.")
    detect_sum = models.FloatField(default=0, help_text="Sum of report time − occurrence time.")
    detect_n = models.IntegerField(default=0)
    ack_sum = models.FloatField(default=0, help_text="Sum of acknowledgement time − report time.")
    ack_n = models.IntegerField(default=0)
    contain_sum = models.FloatField(default=0, help_text="Sum of containment time − report time.")
    contain_n = models.IntegerField(default=0)
    resolve_sum = models.FloatField(default=0, help_text="Sum of closure time − report time (closed items).")
    resolve_n = models.IntegerField(default=0)
    breached = models.IntegerField(default=0, help_text="Incidents with at least one breach.")
    closed_once = models.IntegerField(default=0, help_text="Incidents closed at least once.")
    reopened = models.IntegerField(default=0, help_text="Incidents reopened at least once.")
    escalated = models.IntegerField(default=0, help_text="Incidents escalated at least one level.")
    esc_lag_sum = models.FloatField(default=0, help_text="Sum of escalation acknowledgement lags.")
    esc_lag_n = models.IntegerField(default=0, help_text="Acknowledged escalations.")
    sig_top = models.IntegerField(default=0, help_text="Incidents whose escalation reached the top.")
    sig_override = models.IntegerField(default=0, help_text="Incidents closed over open review findings.")
    sig_vacant = models.IntegerField(default=0, help_text="Incidents that skipped a vacant supervisor.")
    sig_mismatch = models.IntegerField(default=0, help_text="Incidents routed to the wrong person or role.")

    class Meta:
        abstract = True


MEASURE_FIELDS = tuple(field.name for field in Measures._meta.local_fields)
INTEGER_MEASURES = frozenset(
    field.name for field in Measures._meta.local_fields if isinstance(field, models.IntegerField)
)


class KpiFact(TenantScopedModel, Measures):
    """One counted incident's dimensions and measures, as last folded into the rollups: the
    next refresh of the incident subtracts these and adds its new ones."""

    incident_id = models.BigIntegerField(primary_key=True)
    day = models.DateField(help_text="Day reported, in the tenant's time zone: the period it counts in.")
    unit_id = models.BigIntegerField(help_text="Unit of the owner's position.")
    category_id = models.BigIntegerField()
    severity = models.CharField(max_length=8)
    kind = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id"]

    def __str__(self) -> str:
        return f"KPI fact of incident {self.incident_id}"


class KpiRollup(TenantScopedModel, Measures):
    """The measures of the incidents reported on one day in one unit, category, severity and
    kind, and (category 0) in every category. Dashboards sum these rows, never the incidents."""

    day = models.DateField()
    unit_id = models.BigIntegerField()
    category_id = models.BigIntegerField(help_text="0: every category.")
    severity = models.CharField(max_length=8)
    kind = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "day", "unit_id", "category_id", "severity", "kind"],
                name="kpirollup_one_row_per_key",
            ),
        ]
        indexes = [
            # A dashboard's reads: a category (0: all of them) over a range of days.
            models.Index(fields=["organisation", "category_id", "day"], name="kpirollup_category_day_idx"),
        ]

    def __str__(self) -> str:
        return f"KPI rollup {self.day} unit {self.unit_id} category {self.category_id} {self.severity} {self.kind}"


class RollupWatermark(TenantScopedModel):
    """How far into the tenant's ledger the rollups have been brought: the last event seq read.
    Its row is locked while a batch is folded in, so batches of one tenant never overlap."""

    last_seq = models.PositiveBigIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id"]
        constraints = [models.UniqueConstraint(fields=["organisation"], name="rollupwatermark_one_per_tenant")]

    def __str__(self) -> str:
        return f"Rollups of tenant {self.organisation_id} up to ledger seq {self.last_seq}"


class MaturityWeights(TenantScopedModel):
    """How much each maturity signal weighs in the tenant's maturity score (see
    `assurance.maturity`). A tenant without a row uses the defaults below."""

    breaches = models.PositiveSmallIntegerField(default=3, help_text="Share of incidents with a breach.")
    reopens = models.PositiveSmallIntegerField(default=2, help_text="Share of closed incidents reopened.")
    escalated_to_top = models.PositiveSmallIntegerField(default=3, help_text="Share escalated to the top.")
    review_overrides = models.PositiveSmallIntegerField(default=2, help_text="Share closed over review findings.")
    vacant_supervisors = models.PositiveSmallIntegerField(default=1, help_text="Share that skipped a vacant level.")
    mismatches = models.PositiveSmallIntegerField(default=2, help_text="Share routed to the wrong person or role.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation_id"]
        verbose_name_plural = "maturity weights"
        constraints = [models.UniqueConstraint(fields=["organisation"], name="maturityweights_one_per_tenant")]

    def __str__(self) -> str:
        return f"Maturity weights of tenant {self.organisation_id}"
