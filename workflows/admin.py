"""Admin for the workflow engine. Templates, runs, steps, evidence and reviews are written by
the services (loader, wizard, work page, review); the admin shows them and never edits a
state, a piece of evidence or a verdict."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from iwms.admin import ReadOnlyAdmin
from workflows.choices import StepStatus
from workflows.models import Evidence, Review, Step, Submission, TemplateStep, WorkflowRun, WorkflowTemplate


class TemplateStepInline(admin.TabularInline):
    model = TemplateStep
    extra = 0
    can_delete = False
    fields = ["position", "key", "name", "mandatory", "required_evidence", "due_offset", "responsible_role"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkflowTemplate)
class WorkflowTemplateAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "version", "is_current", "organisation", "created_at"]
    list_filter = ["organisation", "is_current"]
    list_select_related = ["organisation"]
    search_fields = ["code", "name"]
    inlines = [TemplateStepInline]


@admin.register(TemplateStep)
class TemplateStepAdmin(ReadOnlyAdmin):
    """Analysts sort by "times skipped" to see which steps people justify as not applicable."""

    list_display = ["template", "position", "name", "mandatory", "times_skipped", "responsible_role", "organisation"]
    list_filter = ["organisation", "mandatory", "responsible_role"]
    list_select_related = ["template", "organisation"]
    search_fields = ["key", "name", "template__code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TemplateStep]:
        skipped = Count("run_steps", filter=Q(run_steps__status=StepStatus.NOT_APPLICABLE))
        return super().get_queryset(request).annotate(skipped=skipped)

    @admin.display(description="times skipped", ordering="skipped")
    def times_skipped(self, obj: TemplateStep) -> int:
        return obj.skipped


@admin.register(WorkflowRun)
class WorkflowRunAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "status", "responsible", "due_at", "organisation"]
    list_filter = ["organisation", "kind", "status"]
    list_select_related = ["responsible", "organisation"]
    search_fields = ["title", "subject_id", "request"]


@admin.register(Step)
class StepAdmin(ReadOnlyAdmin):
    list_display = ["run", "position", "name", "status", "mandatory", "assignee", "due_at", "organisation"]
    list_filter = ["organisation", "status", "mandatory"]
    list_select_related = ["run", "assignee", "organisation"]
    search_fields = ["name", "key", "run__title", "justification"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["step", "kind", "source", "collector", "collected_at", "sha256", "invalidated_at", "organisation"]
    list_filter = ["organisation", "kind", "source"]
    list_select_related = ["step", "collector", "organisation"]
    search_fields = ["sha256", "original_name", "relevance", "text"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["run", "sequence", "verdict", "engine", "version", "input_digest", "created_at", "organisation"]
    list_filter = ["organisation", "verdict", "engine"]
    list_select_related = ["run", "organisation"]
    search_fields = ["input_digest", "run__title"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    """Each Complete of a workflow awaiting its automated review; written by the work services only."""

    list_display = ["run", "number", "submitted_by", "submitted_at", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["run", "submitted_by", "organisation"]
    search_fields = ["run__title"]
