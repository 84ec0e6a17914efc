"""Admin of the response app: a tenant's response configuration is saved with a ledger event;
what responders write (roles, notes, messages, reviews) is read-only here, owned by services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from incidents.response.models import (
    ActionItem,
    Communication,
    IncidentNote,
    IncidentResponse,
    MessageTemplate,
    PostIncidentReview,
    RecipientGroup,
    ResponseSettings,
    RoleAssignment,
    TenantRole,
    UpdateLapse,
)
from iwms.admin import BoundedDatesAdmin, ReadOnlyAdmin
from iwms.audited_rows import delete_audited, save_audited


class ConfigurationAdmin(BoundedDatesAdmin):
    """A tenant's response configuration: every save and delete is one ledger event."""

    list_filter = ["organisation"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        save_audited(obj=obj, actor=request.user)

    def delete_model(self, request: Any, obj: Any) -> None:
        delete_audited(obj=obj, actor=request.user)


@admin.register(ResponseSettings)
class ResponseSettingsAdmin(ConfigurationAdmin):
    list_display = ["organisation", "closure_rule", "review_due_days", "note_edit_minutes"]


@admin.register(TenantRole)
class TenantRoleAdmin(ConfigurationAdmin):
    list_display = ["name", "code", "organisation"]


@admin.register(RecipientGroup)
class RecipientGroupAdmin(ConfigurationAdmin):
    list_display = ["name", "kind", "organisation"]
    filter_horizontal = ["members", "positions"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ConfigurationAdmin):
    list_display = ["name", "audience", "severity", "organisation"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["incident", "role", "holder", "status", "started_at", "ended_at"]
    list_select_related = ["incident", "holder"]


@admin.register(IncidentNote)
class IncidentNoteAdmin(ReadOnlyAdmin):
    list_display = ["incident", "kind", "author", "created_at"]
    list_select_related = ["incident", "author"]


@admin.register(IncidentResponse)
class IncidentResponseAdmin(ReadOnlyAdmin):
    list_display = ["incident", "detected_at", "mitigated_at", "resolved_at", "next_update_due_at"]
    list_select_related = ["incident"]


@admin.register(Communication)
class CommunicationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "subject", "audience", "sender", "sent_at", "due_at"]
    list_select_related = ["incident", "sender"]


@admin.register(UpdateLapse)
class UpdateLapseAdmin(ReadOnlyAdmin):
    list_display = ["incident", "due_at", "lead"]
    list_select_related = ["incident", "lead"]


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(ReadOnlyAdmin):
    list_display = ["incident", "status", "owner", "due_at", "accepted_at"]
    list_select_related = ["incident", "owner"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["description", "owner", "due_at", "status"]
    list_select_related = ["owner"]
