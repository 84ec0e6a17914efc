"""Admin for the organogram. Every add, change and delete of units, shifts, positions (reporting
lines included) and assignments goes through `organogram.services` (`save_structure`,
`delete_structure`): the same checks as the structure's own verbs and one ledger event per
change naming the platform admin."""

from __future__ import annotations

from django.contrib import admin

from iwms.admin import ReadOnlyAdmin, ServiceAdmin
from organogram.models import Generation, OrgUnit, Position, PositionAssignment, Shift
from organogram.services import delete_structure, save_structure


class TenantListAdmin(ServiceAdmin):
    list_filter = ["organisation"]

    save_service = staticmethod(save_structure)
    delete_service = staticmethod(delete_structure)


@admin.register(OrgUnit)
class OrgUnitAdmin(TenantListAdmin):
    list_display = ["name", "code", "kind", "parent", "organisation"]
    list_filter = ["organisation", "kind"]
    list_select_related = ["parent", "organisation"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]


@admin.register(Shift)
class ShiftAdmin(TenantListAdmin):
    list_display = ["name", "code", "unit", "starts_at", "ends_at", "organisation"]
    list_select_related = ["unit", "organisation"]
    search_fields = ["name", "code"]


@admin.register(Position)
class PositionAdmin(TenantListAdmin):
    list_display = ["title", "code", "unit", "parent", "is_unit_head", "is_active", "organisation"]
    list_filter = ["organisation", "is_unit_head", "is_active", "unit__kind"]
    list_select_related = ["unit", "parent", "organisation"]
    search_fields = ["title", "code", "unit__name"]
    raw_id_fields = ["parent", "unit", "shift"]


@admin.register(PositionAssignment)
class PositionAssignmentAdmin(TenantListAdmin):
    list_display = ["person", "position", "kind", "starts_at", "ends_at", "organisation"]
    list_filter = ["organisation", "kind", ("ends_at", admin.EmptyFieldListFilter)]
    list_select_related = ["person", "position", "organisation"]
    search_fields = ["person__username", "person__last_name", "position__title"]
    raw_id_fields = ["person", "position"]
    date_hierarchy = "starts_at"


@admin.register(Generation)
class GenerationAdmin(ReadOnlyAdmin):
    """Bookkeeping: when each tenant's organogram last changed. Moved by the structure's own
    changes, never by hand."""

    list_display = ["organisation", "changed_at", "token"]
    list_select_related = ["organisation"]
