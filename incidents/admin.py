"""Admin for incidents and categories. A platform admin corrects an incident that is not closed
through the services (`incidents.services.corrections`): the severity through the severity
service (clocks recomputed), the responsible person through the hand-off with its ARC trace,
the descriptive fields and POLE entities with a ledger event on the incident, each with a
reason. Anchors, status, deadlines and the classification are read-only; a closed incident is
read-only altogether. Categories and SLA policies are saved with one ledger event per change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from incidents.access.services import grants
from incidents.choices import IncidentStatus
from incidents.intake.services import corrections
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
from iwms.admin import ReadOnlyAdmin, ServiceAdmin
from iwms.errors import PolicyError


class ClassificationAdmin(ServiceAdmin):
    """Categories and SLA policies: saved and deleted through `corrections.save_classification`
    / `delete_classification`, one ledger event each."""

    save_service = staticmethod(corrections.save_classification)
    delete_service = staticmethod(corrections.delete_classification)


@admin.register(Category)
class CategoryAdmin(ClassificationAdmin):
    list_display = ["code", "name", "parent", "default_severity", "industry_template", "is_active", "organisation"]
    list_filter = ["organisation", "industry_template", "default_severity", "is_active"]
    list_select_related = ["parent", "organisation"]
    search_fields = ["code", "name", "keywords"]
    raw_id_fields = ["parent", "custodian_position", "sla_policy"]

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        # Renaming or re-coding a category is a governed change (risk assessment, approval).
        return ["organisation", "code", "name"] if obj is not None else []


def _incident_is_closed(obj: object) -> bool:
    return isinstance(obj, Incident) and obj.status == IncidentStatus.CLOSED


class PoleEntityInline(admin.TabularInline):
    model = PoleEntity
    extra = 0
    raw_id_fields = ["user"]
    fields = ["type", "name", "role", "user"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return not _incident_is_closed(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return not _incident_is_closed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return not _incident_is_closed(obj) and super().has_delete_permission(request, obj)


class IncidentCorrectionForm(forms.ModelForm):
    change_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for the correction",
        help_text="Required with any change; written with it to the ledger and the incident's timeline.",
    )

    class Meta:
        model = Incident
        fields = list(corrections.CORRECTABLE_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        changed = [name for name in self.changed_data if name in corrections.CORRECTABLE_FIELDS]
        reason = " ".join(data.get("change_reason", "").split())
        if changed and len(reason) < corrections.MIN_REASON:
            self.add_error(
                "change_reason",
                f"Say why you change {', '.join(changed)} (at least {corrections.MIN_REASON} characters).",
            )
        responsible = data.get("responsible")
        if (
            responsible is not None
            and self.instance.pk
            and responsible.organisation_id != self.instance.organisation_id
        ):
            self.add_error("responsible", "Choose a person of the incident's organisation.")
        return data


# Set only by the clock services (mark contained, submit, pending closure, reopen).
CLOCK_STATE_FIELDS = ["contained_at", "clock_started_at", "clocks_paused_at", "decision_started_at", "decision_due_at"]


@admin.register(Incident)
class IncidentAdmin(ServiceAdmin):
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
    raw_id_fields = ["responsible"]
    date_hierarchy = "reported_at"
    show_full_result_count = False
    inlines = [PoleEntityInline]
    form = IncidentCorrectionForm
    # Shown, never edited here: they move only through their own services.
    readonly_fields = [
        "organisation",
        "reference",
        "kind",
        "status",
        "category",
        "source",
        "system_reason",
        "source_reference",
        "owner",
        "owner_position",
        "initial_responsible",
        "reporter",
        "parent",
        "reported_at",
        "acknowledged_at",
        "ack_due_at",
        "contain_due_at",
        "resolve_due_at",
        "next_clock_at",
        "escalation_level",
        "reopened_count",
        "closed_at",
        "unit",
        *CLOCK_STATE_FIELDS,
    ]

    def get_fields(self, request: HttpRequest, obj: Incident | None = None) -> list[str]:
        editable = [*corrections.CORRECTABLE_FIELDS, "change_reason"]
        if obj is not None and not self.has_change_permission(request, obj):
            editable = list(corrections.CORRECTABLE_FIELDS)
        shown_first = {"reference", "status"}
        return ["reference", "status", *editable, *(name for name in self.readonly_fields if name not in shown_first)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Incidents are created by the wizard, the API or the system, which assign the anchors.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return not _incident_is_closed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Incident, form: forms.ModelForm, change: bool) -> None:
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in corrections.CORRECTABLE_FIELDS
        }
        if changes:
            corrections.correct_incident(
                incident=obj, actor=request.user, changes=changes, reason=form.cleaned_data.get("change_reason", "")
            )

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        for entity in formset.save(commit=False):
            corrections.save_pole_entity(entity=entity, actor=request.user)
        for entity in formset.deleted_objects:
            corrections.delete_pole_entity(entity=entity, actor=request.user)


@admin.register(PoleEntity)
class PoleEntityAdmin(ServiceAdmin):
    list_display = ["incident", "type", "name", "role", "organisation"]
    list_filter = ["organisation", "type"]
    list_select_related = ["incident", "organisation"]
    search_fields = ["name", "role", "incident__reference"]
    raw_id_fields = ["incident", "user"]

    def has_change_permission(self, request: HttpRequest, obj: PoleEntity | None = None) -> bool:
        closed = obj is not None and obj.incident.status == IncidentStatus.CLOSED
        return not closed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: PoleEntity | None = None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)

    def save_row(self, *, obj: Any, actor: Any) -> Any:
        return corrections.save_pole_entity(entity=obj, actor=actor)

    def delete_row(self, *, obj: Any, actor: Any) -> None:
        corrections.delete_pole_entity(entity=obj, actor=actor)


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
class SlaPolicyAdmin(ClassificationAdmin):
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
class SeverityDefinitionAdmin(ClassificationAdmin):
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

    list_display = [
        "id",
        "grantee",
        "purpose",
        "category",
        "covers_later_incidents",
        "requested_by",
        "requested_as",
        "issued_by",
        "expires_at",
        "revoked_at",
    ]
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
