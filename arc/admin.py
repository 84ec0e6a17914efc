"""Admin for ARC: accountability rules, the delegation trace and role grants."""

from __future__ import annotations

from django.contrib import admin

from arc.models import AccountabilityRule, Delegation, RoleGrant
from iwms.admin import GovernedAdmin, ReadOnlyMixin


@admin.register(AccountabilityRule)
class AccountabilityRuleAdmin(GovernedAdmin):
    list_display = ["unit", "kind", "category_code", "accountable_position", "is_active", "organisation"]
    list_filter = ["organisation", "is_active", "kind"]
    list_select_related = ["unit", "accountable_position", "organisation"]
    search_fields = ["category_code", "unit__name", "accountable_position__title"]
    raw_id_fields = ["unit", "accountable_position"]


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyMixin, GovernedAdmin):
    """The ARC trace is evidence: read here, written only by the delegation services."""

    list_display = ["created_at", "subject_type", "subject_id", "from_person", "to_person", "reason_code", "status"]
    list_filter = ["organisation", "status", "reason_code", "scope"]
    list_select_related = ["from_person", "to_person"]
    search_fields = ["subject_id", "from_person__username", "to_person__username", "handoff_note"]
    readonly_fields = ["status", "accepted_at"]


@admin.register(RoleGrant)
class RoleGrantAdmin(GovernedAdmin):
    list_display = ["user", "role", "starts_at", "expires_at", "revoked_at", "granted_by", "organisation"]
    list_filter = ["organisation", "role", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "granted_by", "organisation"]
    search_fields = ["user__username", "user__last_name", "reason"]
    raw_id_fields = ["user", "granted_by"]
