"""Lineage: what a merge or a split did, item by item, so it can be shown both ways and undone.

A merge writes one `Lineage` per merged incident (source: the merged one, target: the surviving
primary); a split writes one (source: the original, target: the derived incident). Each item
the operation moved or linked is a `LineageItem`; an un-merge reads them to put everything back
and marks the lineage reversed (it is never deleted: the ledger and the lineage tell the story).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.choices import IncidentStatus
from incidents.models import Incident
from iwms.models import TenantScopedModel


class Operation(models.TextChoices):
    MERGE = "merge", "merge"
    SPLIT = "split", "split"


class ItemKind(models.TextChoices):
    POLE_ENTITY = "pole_entity", "POLE entity"
    EVIDENCE = "evidence", "evidence"
    STEP = "step", "step"
    WORKFLOW = "workflow", "workflow"


class Disposition(models.TextChoices):
    MOVED = "moved", "moved"  # the row now belongs to the target; an un-merge moves it back
    LINKED = "linked", "linked"  # the row stays where it is; the target shows it through the lineage


class Lineage(TenantScopedModel):
    """One merge (merged incident → primary) or split (original → derived incident)."""

    operation = models.CharField(max_length=8, choices=Operation.choices)
    source = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="lineage_out")
    target = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="lineage_in")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    source_status = models.CharField(max_length=16, blank=True, help_text="The merged incident's status before.")
    target_deadlines = models.JSONField(
        default=dict, blank=True, help_text="The primary's deadlines before the merge moved them earlier."
    )
    reconciliation = models.JSONField(default=dict, blank=True, help_text="The checks run inside the operation.")
    created_at = models.DateTimeField(auto_now_add=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(operation="merge", reversed_at__isnull=True),
                name="lineage_one_live_merge_per_incident",
            ),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="lineage_not_onto_itself"),
        ]
        indexes = [
            models.Index(fields=["organisation", "target", "operation"], name="lineage_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.source_id} → {self.target_id}"

    @property
    def source_status_label(self) -> str:
        return IncidentStatus(self.source_status).label if self.source_status else ""

    @property
    def is_live(self) -> bool:
        return self.reversed_at is None


class LineageItem(TenantScopedModel):
    """One row a merge or split moved or linked."""

    lineage = models.ForeignKey(Lineage, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    item_id = models.BigIntegerField()
    disposition = models.CharField(max_length=8, choices=Disposition.choices)

    class Meta:
        ordering = ["lineage_id", "kind", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["lineage", "kind", "item_id"], name="lineage_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} {self.disposition}"


class KnownGap(TenantScopedModel):
    """A source of telemetry or evidence the incident depends on and cannot reach (seed 002 §12.5):
    recorded, shown on the incident and escalated, so nobody proceeds as if the picture were whole."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="known_gaps")
    source = models.CharField(max_length=200, help_text="The provider or system that is unavailable.")
    impact = models.TextField(help_text="What cannot be seen or verified while it is unavailable.")
    noted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    noted_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["noted_at", "id"]
        indexes = [models.Index(fields=["organisation", "incident", "resolved_at"], name="known_gap_incident_idx")]

    def __str__(self) -> str:
        return f"{self.source} unavailable"
