"""Admin for ARC: accountability rules, the delegation trace, role grants and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from arc.choices import TokenScope
from arc.models import AccountabilityRule, ApiToken, Delegation, RoleGrant
from arc.services import delete_arc_setting, save_arc_setting
from arc.tokens import check_token_holder, issue_token, revoke_token
from iwms.admin import GovernedAdmin, ReadOnlyMixin, ServiceAdmin
from iwms.errors import PolicyError


class ArcSettingAdmin(ServiceAdmin):
    """Accountability rules and role grants: every add, change and delete through
    `arc.services` (one ledger event naming the platform admin)."""

    save_service = staticmethod(save_arc_setting)
    delete_service = staticmethod(delete_arc_setting)


@admin.register(AccountabilityRule)
class AccountabilityRuleAdmin(ArcSettingAdmin):
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
class RoleGrantAdmin(ArcSettingAdmin):
    list_display = ["user", "role", "starts_at", "expires_at", "revoked_at", "granted_by", "organisation"]
    list_filter = ["organisation", "role", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "granted_by", "organisation"]
    search_fields = ["user__username", "user__last_name", "reason"]
    raw_id_fields = ["user", "granted_by"]


class ApiTokenIssueForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at"]

    def clean_user(self) -> Any:
        user = self.cleaned_data["user"]
        try:
            check_token_holder(user)
        except PolicyError as exc:
            raise forms.ValidationError(exc.message) from exc
        return user

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(GovernedAdmin):
    """Issued here (the token is shown once, on the page after Save), then read-only: only its
    SHA-256 is stored. Revoke with the list's action; tokens are never deleted."""

    list_display = ["name", "user", "prefix", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["organisation", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "organisation"]
    search_fields = ["name", "prefix", "user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["prefix", "token_hash", "issued_by", "created_at", "last_used_at", "revoked_at", "organisation"]
    actions = ["revoke_selected"]

    def get_form(self, request: HttpRequest, obj: ApiToken | None = None, **kwargs: Any) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = ApiTokenIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["user", "name", "scopes", "expires_at"]
        # Shown read-only: nobody has change permission on a token.
        return ["organisation", "user", "name", "scopes", "expires_at", *self.readonly_fields[:-1]]

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("arc.change_apitoken")

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> ApiToken:
        data = form.cleaned_data
        token, raw = issue_token(
            user=data["user"],
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
            actor=request.user,
        )
        request.issued_api_token = raw
        return token

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool) -> None:
        """Already saved by `issue_token` in `save_form`."""

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        """An API token has no related rows to save."""

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "raw_token": request.issued_api_token,
            "title": f"API token issued: {obj.name}",
        }
        response = TemplateResponse(request, "admin/arc/apitoken/issued.html", context)
        add_never_cache_headers(response)  # the only copy of the token: no cache may keep it
        return response

    @admin.action(permissions=["revoke"], description="Revoke the selected API tokens")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).order_by("pk"):
            revoke_token(token=token, actor=request.user, reason="Revoked in the admin.")
            revoked += 1
        self.message_user(request, f"{revoked} API token(s) revoked.", messages.SUCCESS)
