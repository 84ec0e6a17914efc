"""Problems (the cause behind one or more incidents), their links to incidents, and each
tenant's problem-management settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from incidents.models import Category, Incident
from incidents.problems.choices import DetectionSource, ProblemStatus
from iwms.models import TenantScopedModel
from iwms.transitions import condition
from organogram.models import OrgUnit, Position

S = ProblemStatus
DEFAULT_STABILITY_DAYS = 14


@condition("Record the root cause and the resolution first.")
def _resolution_recorded(problem: Problem) -> bool:
    return bool(problem.root_cause.strip() and problem.resolution.strip())


class Problem(FSMModelMixin, TenantScopedModel):
    """The underlying cause of one or more incidents, managed apart from them but linked both
    ways. Owner (accountable) and responsible person come from ARC as for any item; the status
    moves only through the transitions below, run by `iwms.transitions.run_transition`."""

    reference = models.CharField(max_length=32, help_text="Unique per tenant: PRB-2026-000012.")
    title = models.CharField(max_length=200)
    description = models.TextField()
    detection_source = models.CharField(max_length=32, choices=DetectionSource.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="Where it is felt."
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_problems")
    owner_position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="+")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="problems_responsible_for",
        verbose_name="responsible person",
    )
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_from = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The incident it was raised from, whose facts it carried over.",
    )
    status = FSMField(max_length=24, choices=ProblemStatus.choices, default=S.LOGGED, protected=True)
    workaround = models.TextField(blank=True, help_text="What restores service until the cause is removed.")
    known_error_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.TextField(blank=True)
    resolution = models.TextField(blank=True, help_text="The fix, and the evidence that it holds.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    stable_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The stability window ends here: closing waits for it, and a recurrence linked before "
        "then starts it again.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    linked_incident_count = models.PositiveIntegerField(default=0)
    recurrence_count = models.PositiveIntegerField(
        default=0, help_text="Incidents linked after the problem was resolved: the fix did not hold."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="problem_unique_reference"),
            models.CheckConstraint(
                condition=~Q(status=S.KNOWN_ERROR) | ~Q(workaround=""), name="problem_known_error_has_workaround"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status", "created_at"], name="problem_status_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_known_error(self) -> bool:
        return bool(self.workaround)

    @property
    def is_active(self) -> bool:
        return self.status in (S.LOGGED, S.UNDER_INVESTIGATION, S.KNOWN_ERROR)

    @transition(field=status, source=S.LOGGED, target=S.UNDER_INVESTIGATION)
    def start_investigation(self) -> None:
        """The responsible person takes the investigation on."""

    @transition(field=status, source=[S.LOGGED, S.UNDER_INVESTIGATION, S.KNOWN_ERROR], target=S.KNOWN_ERROR)
    def record_workaround(self, *, workaround: str, at: datetime) -> None:
        """A workaround is known: the problem is a known error (a later one revises it)."""
        self.workaround = workaround
        self.known_error_at = self.known_error_at or at

    @transition(field=status, source=[S.UNDER_INVESTIGATION, S.KNOWN_ERROR], target=S.RESOLVED)
    def resolve(self, *, root_cause: str, resolution: str, at: datetime, stable_until: datetime) -> None:
        """The cause is removed; the stability window starts."""
        self.root_cause = root_cause
        self.resolution = resolution
        self.resolved_at = at
        self.stable_until = stable_until

    @transition(field=status, source=S.RESOLVED, target=S.CLOSED, conditions=[_resolution_recorded])
    def close(self, *, at: datetime) -> None:
        """Closed after the stability window passed with no recurrence (checked by the service)."""
        self.closed_at = at

    @transition(field=status, source=S.RESOLVED, target=S.UNDER_INVESTIGATION)
    def reopen_investigation(self) -> None:
        """The fix did not hold: investigate again."""
        self.resolved_at = None
        self.stable_until = None


class ProblemIncidentLink(TenantScopedModel):
    """One incident explained by one problem: the two-way link, counted on the problem. A link
    made after the problem was resolved is a recurrence."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="incident_links")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="problem_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    is_recurrence = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="problem_link_unique_incident"),
        ]
        indexes = [models.Index(fields=["incident", "problem"], name="problem_link_incident_idx")]

    def __str__(self) -> str:
        return f"{self.problem_id} ↔ {self.incident_id}"


class ProblemSettings(TenantScopedModel):
    """A tenant's problem-management settings; without a row the defaults hold."""

    stability_days = models.PositiveSmallIntegerField(
        default=DEFAULT_STABILITY_DAYS,
        help_text="Days a resolved problem must stay free of linked recurrences before it may be closed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "problem settings"
        ordering = ["organisation_id"]
        constraints = [models.UniqueConstraint(fields=["organisation"], name="problem_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"Problem settings ({self.stability_days} days' stability)"

    @classmethod
    def for_tenant_id(cls, tenant_id: int) -> Any:
        return cls.objects.filter(organisation_id=tenant_id).first() or cls(organisation_id=tenant_id)
