"""Admin for problems: problems and their links are written by the services only (read-only
here); a tenant's settings are saved through `save_problem_settings` with a ledger event."""

from __future__ import annotations

from django.contrib import admin

from incidents.problems.models import Problem, ProblemIncidentLink, ProblemSettings
from incidents.problems.services.settings import delete_problem_settings, save_problem_settings
from iwms.admin import ReadOnlyAdmin, ServiceAdmin


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "title",
        "status",
        "linked_incident_count",
        "recurrence_count",
        "owner",
        "organisation",
    ]
    list_filter = ["organisation", "status", "detection_source"]
    list_select_related = ["owner", "organisation"]
    search_fields = ["reference", "title", "description", "workaround"]
    show_full_result_count = False


@admin.register(ProblemIncidentLink)
class ProblemIncidentLinkAdmin(ReadOnlyAdmin):
    list_display = ["problem", "incident", "is_recurrence", "linked_by", "created_at"]
    list_select_related = ["problem", "incident", "linked_by"]
    search_fields = ["problem__reference", "incident__reference"]


@admin.register(ProblemSettings)
class ProblemSettingsAdmin(ServiceAdmin):
    list_display = ["organisation", "stability_days", "updated_at"]
    list_select_related = ["organisation"]
    save_service = staticmethod(save_problem_settings)
    delete_service = staticmethod(delete_problem_settings)
