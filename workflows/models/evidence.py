"""Evidence with provenance. Append-only: an item is never edited or deleted — it is
superseded by a newer item or invalidated with a reason, and the database refuses any change
to its content or provenance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from iwms.models import TenantScopedModel
from workflows.choices import EvidenceKind, EvidenceSource
from workflows.models.runs import Step

CONTENT_FIELDS = (
    "step",
    "kind",
    "sha256",
    "storage_name",
    "media_type",
    "size",
    "original_name",
    "thumbnail_name",
    "text",
    "source",
    "collector",
    "collected_at",
    "relevance",
    "location",
    "submitted_by",
    "supersedes",
)


class Evidence(TenantScopedModel):
    """One item of evidence on a step: a file stored by its SHA-256 or a text (narrative,
    measurement, external reference), with its provenance — source, collector, collected at,
    relevance note and content hash."""

    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=24, choices=EvidenceKind.choices)
    sha256 = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the file, or of the text.")
    storage_name = models.CharField(max_length=200, blank=True, help_text="Content-addressed path of the file.")
    media_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    original_name = models.CharField(max_length=200, blank=True)
    thumbnail_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True, help_text="Narrative, measured values or the external reference.")
    source = models.CharField(max_length=24, choices=EvidenceSource.choices)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collected_evidence")
    collected_at = models.DateTimeField()
    relevance = models.CharField(max_length=500, help_text="What this evidence shows for the step.")
    location = models.CharField(max_length=200, blank=True, help_text="Where it was collected.")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invalidation_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    immutable_fields = CONTENT_FIELDS

    class Meta:
        ordering = ["step_id", "created_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=Q(invalidated_at__isnull=True) | ~Q(invalidation_reason=""),
                name="evidence_invalidation_has_reason",
            ),
            models.CheckConstraint(condition=~Q(storage_name="") | ~Q(text=""), name="evidence_has_content"),
        ]
        indexes = [models.Index(fields=["organisation", "sha256"], name="evidence_hash_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name or self.text[:40]}"

    @property
    def is_valid(self) -> bool:
        """Neither invalidated nor superseded (the superseding item carries on)."""
        if self.invalidated_at is not None:
            return False
        try:
            self.superseded_by  # noqa: B018 - the reverse one-to-one raises when absent
        except Evidence.DoesNotExist:
            return True
        return False
