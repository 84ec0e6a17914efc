"""Closure decisions: every supervisor decision on an incident pending closure (and every
reopening of a closed one), with the decider's position at decision time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.choices import DecisionKind
from incidents.models.incident import Incident
from iwms.models import TenantScopedModel
from organogram.models import Position


class ClosureDecision(TenantScopedModel):
    """One decision. Approvals carry the closure checklist (impact, root cause, actions taken,
    residual risk, preventive tasks); rejections and evidence requests carry instructions;
    an override carries its justification; a reopen carries its reason and the approver."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=24, choices=DecisionKind.choices)
    decider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="closure_decisions")
    decider_position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="closure_decisions"
    )
    impact = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    actions_taken = models.TextField(blank=True)
    residual_risk = models.TextField(blank=True)
    preventive_tasks = models.TextField(blank=True)
    instructions = models.TextField(blank=True, help_text="What the responsible person must do (reject, evidence).")
    requested_items = models.JSONField(default=list, blank=True, help_text='[{"step": key, "item": text}, …]')
    justification = models.TextField(blank=True, help_text="Why review findings are overridden, or why reopened.")
    review = models.ForeignKey(
        "workflows.Review", on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    spawned_incident = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spawned_by_decisions",
        help_text="The organogram-mismatch incident this decision raised.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=DecisionKind.APPROVE)
                | (
                    ~Q(impact="")
                    & ~Q(root_cause="")
                    & ~Q(actions_taken="")
                    & ~Q(residual_risk="")
                    & ~Q(preventive_tasks="")
                ),
                name="closuredecision_approval_has_checklist",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[DecisionKind.OVERRIDE, DecisionKind.REOPEN]) | ~Q(justification=""),
                name="closuredecision_override_or_reopen_is_justified",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "decider", "created_at"], name="decision_decider_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.decider}"
