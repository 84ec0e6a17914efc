"""A tenant's response settings, the response to one incident (its moments and update cadence)
and the responders' running log of notes."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import Incident
from incidents.response.choices import ClosureRule, NoteKind
from iwms.models import TenantScopedModel


def default_severities() -> list[str]:
    return ["sev1", "sev2"]


def default_cadence() -> dict[str, int]:
    """Minutes between updates per severity (0: no cadence); seed 004 asks SEV-1 every 30 minutes."""
    return {"sev1": 30, "sev2": 60, "sev3": 240, "sev4": 0}


class ResponseSettings(TenantScopedModel):
    """How a tenant runs major-incident response. A tenant with this row has adopted it: its
    SEV-1/2 incidents leave triage only with a commander and close only with their review."""

    commander_severities = models.JSONField(default=default_severities, help_text="Severities needing a commander.")
    review_severities = models.JSONField(default=default_severities, help_text="Severities needing a review.")
    cadence_minutes = models.JSONField(default=default_cadence, help_text="Minutes between updates per severity.")
    review_due_days = models.PositiveSmallIntegerField(default=5, help_text="Working days to finish a review.")
    note_edit_minutes = models.PositiveSmallIntegerField(default=5, help_text="How long its author may edit a note.")
    closure_rule = models.CharField(max_length=16, choices=ClosureRule.choices, default=ClosureRule.ITEMS_OWNED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id"]
        verbose_name_plural = "response settings"
        constraints = [models.UniqueConstraint(fields=["organisation"], name="response_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"response settings of {self.organisation}"

    def cadence_for(self, severity: str) -> timedelta | None:
        minutes = int(self.cadence_minutes.get(severity, 0) or 0)
        return timedelta(minutes=minutes) if minutes else None


class IncidentResponse(TenantScopedModel):
    """The response to one incident: when it was detected, mitigated and resolved (what MTTD,
    MTTA, MTTC and MTTR are computed from, with the incident's own acknowledged and contained
    times) and when the next update to its recipients is due."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="response")
    detected_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(null=True, blank=True, help_text="The next update is due by.")
    reminded_for = models.DateTimeField(null=True, blank=True, help_text="The due time the lead was reminded of.")
    executives_informed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_update_due_at"],
                condition=models.Q(next_update_due_at__isnull=False),
                name="response_next_update_idx",
            )
        ]

    def __str__(self) -> str:
        return f"response to {self.incident_id}"


class IncidentNote(TenantScopedModel):
    """One entry of the responders' running log: a note, decision or link. Its author may edit it
    for the tenant's edit window; after that it is immutable, like the ledger."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="response_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=NoteKind.choices, default=NoteKind.NOTE)
    text = models.TextField()
    editable_until = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author} on {self.incident_id}"

    @property
    def editable(self) -> bool:
        return timezone.now() < self.editable_until
