"""Admin for incidents and categories. Anchors are read-only once an incident exists, and the
status moves only through the lifecycle services, never by editing the row."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from incidents.models import (
    AccessGrant,
    AuditPack,
    Breach,
    BreachWarning,
    Category,
    ClosureDecision,
    Escalation,
    EvidenceGroupObjectPermission,
    EvidenceUserObjectPermission,
    GrantedIncident,
    Incident,
    IncidentGroupObjectPermission,
    IncidentUserObjectPermission,
    MaturitySignal,
    PoleEntity,
    ReferenceCounter,
    ReportDraft,
    SeverityDefinition,
    SlaPolicy,
)
from incidents.models.incident import ANCHOR_FIELDS
from incidents.services import grants
from iwms.admin import GovernedAdmin, ReadOnlyAdmin
from iwms.errors import PolicyError


@admin.register(Category)
class CategoryAdmin(GovernedAdmin):
    list_display = ["code", "name", "parent", "default_severity", "industry_template", "is_active", "organisation"]
    list_filter = ["organisation", "industry_template", "default_severity", "is_active"]
    list_select_related = ["parent", "organisation"]
    search_fields = ["code", "name", "keywords"]
    raw_id_fields = ["parent", "custodian_position", "sla_policy"]


class PoleEntityInline(admin.TabularInline):
    model = PoleEntity
    extra = 0
    raw_id_fields = ["user"]
    fields = ["type", "name", "role", "user"]


# Set only by the clock services (mark contained, submit, pending closure, reopen).
CLOCK_STATE_FIELDS = ["contained_at", "clock_started_at", "clocks_paused_at", "decision_started_at", "decision_due_at"]


@admin.register(Incident)
class IncidentAdmin(GovernedAdmin):
    list_display = [
        "reference",
        "title",
        "kind",
        "status",
        "severity",
        "category",
        "owner",
        "responsible",
        "reported_at",
        "organisation",
    ]
    list_filter = ["organisation", "status", "kind", "severity", "source"]
    list_select_related = ["category", "owner", "responsible", "organisation"]
    search_fields = ["reference", "title", "source_reference", "location"]
    raw_id_fields = ["owner", "owner_position", "initial_responsible", "responsible", "reporter", "category", "parent"]
    date_hierarchy = "reported_at"
    show_full_result_count = False
    inlines = [PoleEntityInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Incident | None = None) -> list[str]:
        fixed = ["status", "reference", "reopened_count", "closed_at", *CLOCK_STATE_FIELDS]
        return [*fixed, *ANCHOR_FIELDS] if obj is not None else fixed

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Incidents are created by the wizard, the API or the system, which assign the anchors.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False


@admin.register(PoleEntity)
class PoleEntityAdmin(GovernedAdmin):
    list_display = ["incident", "type", "name", "role", "organisation"]
    list_filter = ["organisation", "type"]
    list_select_related = ["incident", "organisation"]
    search_fields = ["name", "role", "incident__reference"]
    raw_id_fields = ["incident", "user"]


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "prefix", "year", "last_number"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name"]


@admin.register(ReportDraft)
class ReportDraftAdmin(ReadOnlyAdmin):
    """Drafts are a reporter's working state; support staff may look, nobody edits them here."""

    list_display = ["token", "reporter", "incident", "updated_at", "organisation"]
    list_filter = ["organisation", ("incident", admin.EmptyFieldListFilter)]
    list_select_related = ["reporter", "incident", "organisation"]
    search_fields = ["reporter__username", "incident__reference"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(GovernedAdmin):
    list_display = [
        "code",
        "name",
        "is_default",
        "sev1_ack_minutes",
        "sev1_resolve_minutes",
        "sev4_escalates",
        "organisation",
    ]
    list_filter = ["organisation", "is_default"]
    list_select_related = ["organisation"]
    search_fields = ["code", "name"]


@admin.register(SeverityDefinition)
class SeverityDefinitionAdmin(GovernedAdmin):
    """A tenant's own wording of SEV-1 … SEV-4 (without rows, its industry's defaults apply)."""

    list_display = ["severity", "definition", "organisation"]
    list_filter = ["organisation", "severity"]
    list_select_related = ["organisation"]
    search_fields = ["definition"]


@admin.register(ClosureDecision)
class ClosureDecisionAdmin(ReadOnlyAdmin):
    list_display = ["incident", "kind", "decider", "decider_position", "created_at", "organisation"]
    list_filter = ["organisation", "kind"]
    list_select_related = ["incident", "decider", "decider_position", "organisation"]
    search_fields = ["incident__reference", "decider__username"]


@admin.register(Breach)
class BreachAdmin(ReadOnlyAdmin):
    list_display = ["incident", "clock", "subject_key", "due_at", "breached_at", "severity", "organisation"]
    list_filter = ["organisation", "clock", "severity"]
    list_select_related = ["incident", "organisation"]
    search_fields = ["incident__reference"]


@admin.register(BreachWarning)
class BreachWarningAdmin(ReadOnlyAdmin):
    list_display = ["incident", "clock", "subject_key", "due_at", "warned_at", "mitigation_requested", "organisation"]
    list_filter = ["organisation", "clock", "mitigation_requested"]
    list_select_related = ["incident", "organisation"]
    search_fields = ["incident__reference"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "level", "to_person", "to_position", "escalated_at", "acknowledged_at", "organisation"]
    list_filter = ["organisation", "level"]
    list_select_related = ["incident", "to_person", "to_position", "organisation"]
    search_fields = ["incident__reference", "to_person__username"]


@admin.register(MaturitySignal)
class MaturitySignalAdmin(ReadOnlyAdmin):
    list_display = ["kind", "unit", "incident", "detail", "created_at", "organisation"]
    list_filter = ["organisation", "kind"]
    list_select_related = ["unit", "incident", "organisation"]
    search_fields = ["detail", "incident__reference"]


# --- grants and the portal ------------------------------------------------------------------


class GrantedIncidentInline(admin.TabularInline):
    model = GrantedIncident
    extra = 0
    raw_id_fields = ["incident"]
    fields = ["incident"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    """Grants are requested by owners and issued or revoked through the services; the admin
    lists them and offers those two actions."""

    list_display = ["id", "grantee", "purpose", "category", "requested_by", "issued_by", "expires_at", "revoked_at"]
    list_filter = ["organisation", "issued_at", "revoked_at"]
    list_select_related = ["grantee", "category", "requested_by", "issued_by"]
    search_fields = ["purpose", "grantee__username"]
    inlines = [GrantedIncidentInline]
    actions = ["issue_selected", "revoke_selected"]

    @admin.action(description="Issue the selected grants (tenant admin)")
    def issue_selected(self, request: HttpRequest, queryset: object) -> None:
        for grant in queryset:
            try:
                grants.issue_grant(grant=grant, actor=request.user)
            except PolicyError as exc:
                self.message_user(request, f"Grant #{grant.pk}: {exc.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"Grant #{grant.pk} issued.")

    @admin.action(description="Revoke the selected grants")
    def revoke_selected(self, request: HttpRequest, queryset: object) -> None:
        for grant in queryset:
            try:
                grants.revoke_grant(grant=grant, actor=request.user, reason="Revoked from the admin.")
            except PolicyError as exc:
                self.message_user(request, f"Grant #{grant.pk}: {exc.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"Grant #{grant.pk} revoked.")


@admin.register(GrantedIncident)
class GrantedIncidentAdmin(ReadOnlyAdmin):
    list_display = ["grant", "incident", "created_at"]
    list_select_related = ["grant__grantee", "incident"]
    raw_id_fields = ["grant", "incident"]


@admin.register(IncidentUserObjectPermission, IncidentGroupObjectPermission)
class IncidentObjectPermissionAdmin(ReadOnlyAdmin):
    list_display = ["id", "content_object", "permission"]
    list_select_related = ["content_object", "permission__content_type"]
    raw_id_fields = ["content_object"]


@admin.register(EvidenceUserObjectPermission, EvidenceGroupObjectPermission)
class EvidenceObjectPermissionAdmin(ReadOnlyAdmin):
    list_display = ["id", "content_object", "permission"]
    list_select_related = ["content_object", "permission__content_type"]
    raw_id_fields = ["content_object"]


@admin.register(AuditPack)
class AuditPackAdmin(ReadOnlyAdmin):
    list_display = ["id", "grant", "requested_by", "status", "percent", "sha256", "created_at"]
    list_filter = ["organisation", "status"]
    list_select_related = ["grant__grantee", "requested_by"]
