"""The in-app inbox: one notification per recipient and event, e-mailed at most once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from iwms.models.tenancy import TenantScopedModel


class Notification(TenantScopedModel):
    """A message to one person about one event on one object (a breach warning, an
    escalation, a decision, an information request). The (recipient, event, object) triple is
    unique, so a sweep that runs twice never notifies twice."""

    # No index of its own: the unique (recipient, event, object) constraint below starts with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications", db_index=False
    )
    event = models.CharField(max_length=64, help_text="e.g. breach.warning, escalation.raised, closure.rejected")
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "object_type", "object_id"], name="notification_once_per_event"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient}"
