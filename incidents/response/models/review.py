"""The blameless post-incident review and its action items."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from incidents.models import Incident
from incidents.response.choices import ActionStatus, ReviewDepth, ReviewStatus
from iwms.models import TenantScopedModel

ANALYSIS_FIELDS = ("summary", "root_cause", "contributing_factors", "what_worked", "what_failed")


class PostIncidentReview(TenantScopedModel):
    """What the organisation learns from an incident, without blame: opened at resolution for
    the severities the tenant names, owned by the commander, due in working days, prefilled
    with what the response recorded, and accepted by the owner or a decider."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="post_incident_review")
    depth = models.CharField(max_length=24, choices=ReviewDepth.choices, default=ReviewDepth.DETAILED_TECHNICAL)
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    record = models.TextField(blank=True, help_text="Prefilled: timeline, roles, communications, evidence.")
    summary = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    what_worked = models.TextField(blank=True)
    what_failed = models.TextField(blank=True)
    named_people = models.JSONField(default=list, blank=True, help_text="Names found in the analysis.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"review of {self.incident}"


class ActionItem(TenantScopedModel):
    """A preventive action from a review: an owner, a due date and open → done."""

    review = models.ForeignKey(PostIncidentReview, on_delete=models.PROTECT, related_name="action_items")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review_id", "due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="action_item_due_idx")]

    def __str__(self) -> str:
        return self.description
