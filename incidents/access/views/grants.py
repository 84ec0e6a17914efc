"""Grant pages: the owner requests an auditor's or regulator's read access to incidents they
own; a tenant admin issues or declines requests and revokes live grants. The services audit
every step; refusals are shown next to the field that caused them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from arc.cross_tenant import not_found
from arc.roles import may_administer_tenant
from incidents.access.forms import REFUSAL_FIELDS, GrantRequestForm, ReasonForm
from incidents.access.services import grants
from incidents.core.policy import may_request_grant
from incidents.models import AccessGrant, GrantedIncident, Incident
from iwms.errors import PolicyError
from iwms.models import User

LIST_SIZE = 50


def _with_scope(queryset: QuerySet[AccessGrant]) -> QuerySet[AccessGrant]:
    """Grants with what a row shows: people, category and the explicit set's references."""
    return queryset.select_related("grantee", "requested_by", "issued_by", "revoked_by", "category").prefetch_related(
        Prefetch(
            "granted_incidents",
            queryset=GrantedIncident.objects.select_related("incident").only(
                "grant_id", "incident__reference", "incident__title"
            ),
        )
    )


def _requests_of(user: User) -> list[AccessGrant]:
    return list(_with_scope(AccessGrant.objects.for_tenant(user.organisation_id).filter(requested_by=user))[:LIST_SIZE])


@login_required
@require_http_methods(["GET", "POST"])
def grant_request(request: HttpRequest) -> HttpResponse:
    """The owner's request; `?incident=REF` preselects one of their incidents."""
    user = request.user
    decision = may_request_grant(user)
    if not decision:
        raise PermissionDenied(decision.reason)
    initial: dict[str, Any] = {}
    reference = request.GET.get("incident", "")
    preselected = None
    if reference:
        preselected = Incident.objects.for_tenant(user.organisation_id).filter(reference=reference, owner=user).first()
        if preselected is not None:
            initial["incidents"] = [preselected.pk]
    form = GrantRequestForm(request.POST if request.method == "POST" else None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            grant = grants.request_grant(tenant=user.organisation, actor=user, **form.service_arguments())
        except PolicyError as exc:
            field = exc.context.get("field") or REFUSAL_FIELDS.get(exc.code)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"Grant #{grant.pk} requested for {grant.grantee.get_full_name() or grant.grantee}; "
                "a tenant admin issues or declines it.",
            )
            return redirect(reverse("grant_request") + (f"?incident={reference}" if preselected else ""))
    context = {"form": form, "preselected": preselected, "requests": _requests_of(user)}
    return render(request, "incidents/grants/grant_form.html", context, status=422 if form.errors else 200)


# --- the tenant admin's page ------------------------------------------------------------------


def _admin(request: HttpRequest) -> User:
    decision = may_administer_tenant(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)
    return request.user


def _manage_context(user: User, bound: dict[tuple[str, int], ReasonForm] | None = None) -> dict[str, Any]:
    """Pending requests (oldest first) and live grants (ending soonest first), each with its
    reason form — the bound one, errors and typed text kept, for the grant just posted."""
    now = timezone.now()
    tenant_grants = AccessGrant.objects.for_tenant(user.organisation_id)
    pending = _with_scope(
        tenant_grants.filter(issued_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now).order_by(
            "created_at", "pk"
        )
    )[:LIST_SIZE]
    live = _with_scope(
        tenant_grants.filter(issued_at__isnull=False, revoked_at__isnull=True, expires_at__gt=now).order_by(
            "expires_at", "pk"
        )
    )[:LIST_SIZE]
    bound = bound or {}
    pending, live = list(pending), list(live)
    for grant in pending:
        grant.reason_form = bound.get(("decline", grant.pk)) or ReasonForm(prefix=f"decline-{grant.pk}")
    for grant in live:
        grant.reason_form = bound.get(("revoke", grant.pk)) or ReasonForm(prefix=f"revoke-{grant.pk}")
    return {"pending": pending, "live": live}


@login_required
@require_http_methods(["GET"])
def manage_grants(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    return render(request, "incidents/grants/manage.html", _manage_context(user))


def _grant_for_admin(request: HttpRequest, grant_id: int) -> AccessGrant:
    user = request.user
    grant = AccessGrant.objects.for_tenant(user.organisation_id).select_related("grantee").filter(pk=grant_id).first()
    if grant is None:
        raise not_found(user, AccessGrant, "No such grant.", pk=grant_id)
    return grant


@login_required
@require_POST
def grant_issue(request: HttpRequest, grant_id: int) -> HttpResponse:
    user = _admin(request)
    grant = grants.issue_grant(grant=_grant_for_admin(request, grant_id), actor=user)
    messages.success(
        request, f"Grant #{grant.pk} issued to {grant.grantee.get_full_name() or grant.grantee}; it is live now."
    )
    return redirect("manage_grants")


def _with_reason(request: HttpRequest, grant_id: int, action: str, call: Any) -> HttpResponse:
    """Decline or revoke with a reason; an empty reason re-renders the page with the error
    next to that grant's reason field."""
    user = _admin(request)
    grant = _grant_for_admin(request, grant_id)
    form = ReasonForm(request.POST, prefix=f"{action}-{grant.pk}")
    if form.is_valid():
        try:
            call(grant=grant, actor=user, reason=form.cleaned_data["reason"])
        except PolicyError as exc:
            if exc.code != "validation.invalid":
                raise
            form.add_error("reason", exc.message)
        else:
            verb = "declined" if action == "decline" else "revoked"
            messages.success(request, f"Grant #{grant.pk} {verb}.")
            return redirect("manage_grants")
    context = _manage_context(user, {(action, grant.pk): form})
    return render(request, "incidents/grants/manage.html", context, status=422)


@login_required
@require_POST
def grant_decline(request: HttpRequest, grant_id: int) -> HttpResponse:
    return _with_reason(request, grant_id, "decline", grants.decline_grant)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    return _with_reason(request, grant_id, "revoke", grants.revoke_grant)
