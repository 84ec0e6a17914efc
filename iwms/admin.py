"""Admin for the kernel: tenants, users, the read-only ledger and heartbeats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from iwms.date_bounds import bound_admin_field
from iwms.errors import PolicyError
from iwms.models import AuditChainHead, AuditEvent, Heartbeat, MaintenanceUse, Notification, Organisation, User
from iwms.refusals import record_refusal


def platform_admins_only(request: HttpRequest) -> bool:
    """Django admin lists every tenant's rows, so only platform admins (superusers, who belong
    to no tenant) use it, whatever staff flag or model permissions a tenant's user is given;
    tenant admins administer their own tenant through IWMS's pages (grants, security events)."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = platform_admins_only


class BoundedDatesAdmin(admin.ModelAdmin):
    """Every date and time typed in the admin falls in the range of `iwms.date_bounds`."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return bound_admin_field(super().formfield_for_dbfield(db_field, request, **kwargs))


class GovernedAdmin(BoundedDatesAdmin, SimpleHistoryAdmin, GuardedModelAdmin):
    """Base admin for governed models: simple-history's history view and guardian's
    object-permission view on every change page. Writes still go through services where one
    exists (subclasses route `save_model` to it)."""


class ServiceAdmin(GovernedAdmin):
    """A governed model whose admin writes are calls of its app's services: add, change, revert
    (history) and delete call `save_row` / `delete_row`, which call the services a subclass
    names in `save_service` / `delete_service` (keyword arguments `obj` and `actor`); each
    writes one ledger event naming the admin. A refusal is audited and shown on the page it came
    from; nothing of the change is kept."""

    save_service: ClassVar[Callable[..., Any]]
    delete_service: ClassVar[Callable[..., None]]

    def save_row(self, *, obj: Any, actor: Any) -> Any:
        return type(self).save_service(obj=obj, actor=actor)

    def delete_row(self, *, obj: Any, actor: Any) -> None:
        type(self).delete_service(obj=obj, actor=actor)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = list(super().get_readonly_fields(request, obj))
        # A row never moves to another tenant.
        return fixed if obj is None or "organisation" in fixed else ["organisation", *fixed]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj._history_user = request.user
        saved = self.save_row(obj=obj, actor=request.user)
        if saved is not None and saved is not obj:  # the service made the row itself (assign_person)
            obj.pk = saved.pk
            obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_row(obj=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():  # all of the selection or none of it
            for obj in queryset.order_by("pk"):
                self.delete_row(obj=obj, actor=request.user)

    def _refused(self, request: HttpRequest, exc: PolicyError) -> HttpResponse:
        record_refusal(exc, actor=request.user)  # again, if the admin's transaction took it along
        self.message_user(request, f"Refused ({exc.code}): {exc.message}", messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except PolicyError as exc:
            return self._refused(request, exc)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().delete_view(request, *args, **kwargs)
        except PolicyError as exc:
            return self._refused(request, exc)

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changelist_view(request, *args, **kwargs)
        except PolicyError as exc:
            return self._refused(request, exc)

    def history_form_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().history_form_view(request, *args, **kwargs)
        except PolicyError as exc:
            return self._refused(request, exc)


@admin.register(Organisation)
class OrganisationAdmin(GovernedAdmin):
    list_display = ["name", "slug", "industry", "is_active", "created_at"]
    list_filter = ["is_active", "industry"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class IwmsUserAdmin(BoundedDatesAdmin, SimpleHistoryAdmin, GuardedModelAdmin, UserAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "is_active", "is_staff"]
    list_filter = ["organisation", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["organisation"]
    search_fields = ["username", "first_name", "last_name", "email", "employee_number"]
    fieldsets = (*UserAdmin.fieldsets, ("Tenant", {"fields": ("organisation", "employee_number", "phone")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Tenant", {"fields": ("organisation",)}))


class ReadOnlyMixin:
    """Nothing can be added, changed or deleted here: the rows are written by services only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only admin for rows the database itself protects (the ledger) or services own."""


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organisation", "seq", "action", "actor_label", "object_type", "object_id"]
    list_filter = ["action", "actor_kind", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["object_type", "object_id", "actor_label", "request_id", "hash"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "last_seq", "last_hash", "updated_at"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name"]


@admin.register(MaintenanceUse)
class MaintenanceUseAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "session_role", "operation", "table_name", "reason"]
    list_filter = ["operation", "session_role"]
    search_fields = ["reason", "table_name"]


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["component", "seen_at", "detail"]
    search_fields = ["component"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "event", "subject", "created_at", "read_at", "emailed_at", "organisation"]
    list_filter = ["organisation", "event"]
    list_select_related = ["recipient", "organisation"]
    search_fields = ["subject", "recipient__username", "object_id"]
