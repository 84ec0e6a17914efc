"""Workflow templates: what a category's incidents must go through, versioned so a running
workflow keeps the version it started with."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from iwms.models import TenantScopedModel
from organogram.models import Position
from workflows.choices import ResponsibleRole


class WorkflowTemplate(TenantScopedModel):
    """One version of a tenant's workflow template. A changed template is a new row with the
    next version; exactly one version per code is current, and older versions stay for the
    runs that started on them."""

    code = models.SlugField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    content_digest = models.CharField(
        max_length=64, help_text="SHA-256 of the template's content; a different digest makes a new version."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code", "version"], name="workflowtemplate_unique_version"),
            models.UniqueConstraint(
                fields=["organisation", "code"], condition=Q(is_current=True), name="workflowtemplate_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class TemplateStep(TenantScopedModel):
    """A step of a template version: what to do, whether it is mandatory, the evidence it
    needs, when it falls due after the workflow starts, and who executes it."""

    template = models.ForeignKey(WorkflowTemplate, on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField(help_text="1-based order within the template.")
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    instructions = models.TextField()
    mandatory = models.BooleanField(default=True)
    substantive_justification = models.BooleanField(
        default=False,
        help_text="Marking the step not applicable needs a justification of substance even when it is optional "
        "(mandatory steps always do).",
    )
    required_evidence = models.JSONField(default=list, blank=True, help_text="Evidence kinds the step needs.")
    due_offset = models.DurationField(help_text="Due this long after the workflow starts.")
    responsible_role = models.CharField(
        max_length=16, choices=ResponsibleRole.choices, default=ResponsibleRole.RESPONSIBLE
    )
    responsible_position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="template_steps"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="templatestep_unique_key"),
            models.UniqueConstraint(fields=["template", "position"], name="templatestep_unique_position"),
            models.CheckConstraint(
                condition=Q(responsible_role=ResponsibleRole.RESPONSIBLE) | Q(responsible_position__isnull=False),
                name="templatestep_position_role_names_a_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.code} {self.position}. {self.name}"
