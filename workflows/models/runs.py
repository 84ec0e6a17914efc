"""Workflow runs and their steps. A run belongs to a subject (an incident) named by type and
id, so the engine does not depend on the layer above it; an information request is a
sub-workflow hanging off the step that was paused for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from iwms.models import TenantScopedModel
from workflows.choices import RunKind, RunStatus, StepStatus
from workflows.models.templates import TemplateStep, WorkflowTemplate

ST = StepStatus


class WorkflowRun(FSMModelMixin, TenantScopedModel):
    """One execution of a workflow for a subject. The main run follows a template version;
    an information request (a sub-workflow) has its own responsible person and due date and
    blocks its parent step, and the subject's completion, until it is resolved."""

    kind = models.CharField(max_length=24, choices=RunKind.choices, default=RunKind.MAIN)
    template = models.ForeignKey(WorkflowTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="runs")
    subject_type = models.CharField(max_length=100, help_text="What the workflow is for, e.g. incidents.incident.")
    subject_id = models.CharField(max_length=64)
    parent_step = models.ForeignKey(
        "workflows.Step", on_delete=models.PROTECT, null=True, blank=True, related_name="subworkflows"
    )
    title = models.CharField(max_length=200)
    request = models.TextField(blank=True, help_text="For an information request: what is needed, and why.")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="workflow_runs", verbose_name="responsible"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    status = FSMField(max_length=16, choices=RunStatus.choices, default=RunStatus.OPEN, protected=True)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    # Set by `start_workflow` on the run it returns: the steps it has just generated, so a caller
    # can act on them (start their clocks) without reading them back.
    generated_steps: list[Step]

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "subject_type", "subject_id"],
                condition=Q(kind=RunKind.MAIN),
                name="workflowrun_one_main_run_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(kind=RunKind.MAIN) | Q(parent_step__isnull=False) | Q(kind=RunKind.CORRECTIVE),
                name="workflowrun_information_request_has_parent_step",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "subject_type", "subject_id"], name="workflowrun_subject_idx"),
            models.Index(fields=["status", "due_at"], name="workflowrun_due_idx"),
            models.Index(fields=["organisation", "responsible", "status"], name="workflowrun_responsible_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == RunStatus.OPEN

    @transition(field=status, source=RunStatus.OPEN, target=RunStatus.RESOLVED)
    def resolve(self, *, by: object, at: object, resolution: str) -> None:
        self.resolved_by = by
        self.resolved_at = at
        self.resolution = resolution

    @transition(field=status, source=RunStatus.RESOLVED, target=RunStatus.OPEN)
    def reopen(self) -> None:
        """The subject was reopened: the main run is open again with it."""
        self.resolved_by = None
        self.resolved_at = None
        self.resolution = ""

    @transition(field=status, source=RunStatus.OPEN, target=RunStatus.CANCELLED)
    def cancel(self, *, by: object, at: object, resolution: str) -> None:
        self.resolved_by = by
        self.resolved_at = at
        self.resolution = resolution


class Step(FSMModelMixin, TenantScopedModel):
    """A step of a run, copied from its template step when the run starts (so later template
    versions never change it). Pending → in progress → completed, or not applicable with a
    justification, or paused while an information request is open."""

    run = models.ForeignKey(WorkflowRun, on_delete=models.PROTECT, related_name="steps")
    template_step = models.ForeignKey(
        TemplateStep, on_delete=models.PROTECT, null=True, blank=True, related_name="run_steps"
    )
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    instructions = models.TextField(blank=True)
    mandatory = models.BooleanField(default=True)
    required_evidence = models.JSONField(default=list, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_steps",
        help_text="Who executes the step; blank: the run's responsible person.",
    )
    status = FSMField(max_length=16, choices=StepStatus.choices, default=ST.PENDING, protected=True)
    justification = models.TextField(blank=True, help_text="Why a step was marked not applicable.")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["run_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="step_unique_key_per_run"),
            models.UniqueConstraint(fields=["run", "position"], name="step_unique_position_per_run"),
            models.CheckConstraint(
                condition=~Q(status=StepStatus.NOT_APPLICABLE) | ~Q(justification=""),
                name="step_not_applicable_needs_justification",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="step_due_idx")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    @property
    def executor_id(self) -> int:
        return self.assignee_id or self.run.responsible_id

    @property
    def is_done(self) -> bool:
        return self.status in (ST.COMPLETED, ST.NOT_APPLICABLE)

    @transition(field=status, source=ST.PENDING, target=ST.IN_PROGRESS)
    def start(self) -> None:
        """Someone began working on the step (first evidence added)."""

    @transition(field=status, source=[ST.PENDING, ST.IN_PROGRESS], target=ST.COMPLETED)
    def complete(self, *, by: object, at: object) -> None:
        self.completed_by = by
        self.completed_at = at
        self.justification = ""

    @transition(field=status, source=[ST.PENDING, ST.IN_PROGRESS], target=ST.NOT_APPLICABLE)
    def mark_not_applicable(self, *, by: object, at: object, justification: str) -> None:
        self.completed_by = by
        self.completed_at = at
        self.justification = justification

    @transition(field=status, source=ST.NOT_APPLICABLE, target=ST.PENDING)
    def undo_not_applicable(self) -> None:
        """The step applies after all: it is to be done, its justification withdrawn."""
        self.completed_at = None
        self.completed_by = None
        self.justification = ""

    @transition(field=status, source=[ST.PENDING, ST.IN_PROGRESS], target=ST.PAUSED)
    def pause(self) -> None:
        """Information is unavailable; an information request was raised."""

    @transition(field=status, source=ST.PAUSED, target=ST.IN_PROGRESS)
    def resume(self) -> None:
        """Every information request of the step is resolved."""

    @transition(field=status, source=[ST.COMPLETED, ST.NOT_APPLICABLE], target=ST.IN_PROGRESS)
    def reopen(self) -> None:
        """The decision no longer holds: evidence it relied on was invalidated, or the review
        or the supervisor asked for corrections."""
        self.completed_at = None
        self.completed_by = None
