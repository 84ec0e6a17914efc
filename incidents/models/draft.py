"""Server-side drafts of the reporting wizard: back, refresh or an interrupted session lose
nothing, and the draft's token makes a double submit create one incident only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from incidents.models.incident import Incident
from iwms.models import TenantScopedModel


class ReportDraft(TenantScopedModel):
    """What a reporter has entered so far, step by step, until confirmation creates the incident."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_drafts")
    data = models.JSONField(default=dict, blank=True)
    incident = models.OneToOneField(
        Incident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="draft",
        help_text="Set once confirmed; confirming again returns this incident.",
    )
    linked_to = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="linked_reports",
        help_text="Set when the reporter confirmed this is the same event as an open incident.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["reporter", "incident"], name="draft_reporter_idx")]

    def __str__(self) -> str:
        return f"draft {self.token} by {self.reporter}"

    @property
    def is_submitted(self) -> bool:
        return self.incident_id is not None or self.linked_to_id is not None

    @property
    def outcome(self) -> Incident | None:
        return self.incident or self.linked_to
