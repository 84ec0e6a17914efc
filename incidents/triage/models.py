"""What triage records: the tenant's matrix settings, each incident's triage (the scores, the
proposal and the triager's choice with rationale), re-prioritisation requests held for a
manager's approval, decision trees per category, and the post-mortem of each SLA breach with
its corrective actions (seed 002 §3.2, §6.3; seed 001's priority; seed 004's decision trees)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from incidents.choices import Severity
from incidents.triage.choices import BreachCause, ChangeKind, Priority, RequestStatus
from iwms.models import TenantScopedModel

LEVEL = [(n, str(n)) for n in range(1, 5)]


class TriageSettings(TenantScopedModel):
    """One per tenant: the wording of the matrix's levels, whether it keeps an impact × urgency
    priority grid (IT service desks), and from which severity a re-prioritisation needs a manager."""

    levels = models.JSONField(
        default=dict, blank=True, help_text='Rewording per dimension: {"blast_radius": [[label, description] ×4]}.'
    )
    uses_priority_grid = models.BooleanField(
        default=False, help_text="IT service desk: priority from impact × urgency."
    )
    grid = models.JSONField(
        default=dict, blank=True, help_text='{"impact,urgency": "p1"…}; blank cells use the default.'
    )
    approval_from = models.CharField(
        max_length=8,
        choices=Severity.choices,
        default=Severity.SEV2,
        help_text="A change after triage into or out of this severity (or the matching priority) or above needs a "
        "manager's approval.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "triage settings"
        constraints = [models.UniqueConstraint(fields=["organisation"], name="triagesettings_one_per_tenant")]


class TriageRecord(TenantScopedModel):
    """An incident's triage: the matrix scores, what the matrix proposed, what the triager chose
    and why. `priority` is the incident's current priority (later changes go through
    `services.reprioritisation`)."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="triage")
    triager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confidence = models.PositiveSmallIntegerField(choices=LEVEL)
    blast_radius = models.PositiveSmallIntegerField(choices=LEVEL)
    asset_criticality = models.PositiveSmallIntegerField(choices=LEVEL)
    business_impact = models.PositiveSmallIntegerField(choices=LEVEL)
    urgency = models.PositiveSmallIntegerField(choices=LEVEL)
    proposed_severity = models.CharField(max_length=8, choices=Severity.choices)
    proposed_priority = models.CharField(max_length=4, choices=Priority.choices)
    chosen_severity = models.CharField(max_length=8, choices=Severity.choices)
    chosen_priority = models.CharField(max_length=4, choices=Priority.choices)
    rationale = models.TextField()
    priority = models.CharField(max_length=4, choices=Priority.choices)
    triaged_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    @property
    def followed_proposal(self) -> bool:
        return (self.chosen_severity, self.chosen_priority) == (self.proposed_severity, self.proposed_priority)


class ReprioritisationRequest(TenantScopedModel):
    """A change of severity or priority after triage that touches the tenant's high-impact range,
    held until a manager (a position above the responsible person's) approves or rejects it."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="reprioritisations")
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    from_value = models.CharField(max_length=8)
    to_value = models.CharField(max_length=8)
    reason = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status", "requested_at"], name="triage_reprio_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind"],
                condition=Q(status="pending"),
                name="triage_one_pending_request_per_kind",
            )
        ]

    def label(self, value: str) -> str:
        return f"SEV-{value[-1]}" if self.kind == ChangeKind.SEVERITY else f"P{value[-1]}"


class DecisionTree(TenantScopedModel):
    """A category's triage decision tree in the plain-text form of `incidents.triage.trees`,
    kept by the category's custodian (or a tenant admin)."""

    category = models.OneToOneField("incidents.Category", on_delete=models.PROTECT, related_name="decision_tree")
    source = models.TextField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()


class BreachReview(TenantScopedModel):
    """The post-mortem of one SLA breach (seed 002 §6.3), written by the incident's owner: the
    cause category and what happened, with corrective actions below."""

    breach = models.OneToOneField("incidents.Breach", on_delete=models.PROTECT, related_name="review")
    cause = models.CharField(max_length=32, choices=BreachCause.choices)
    account = models.TextField(help_text="What made the deadline slip.")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()


class CorrectiveAction(TenantScopedModel):
    review = models.ForeignKey(BreachReview, on_delete=models.PROTECT, related_name="actions")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
