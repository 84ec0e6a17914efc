"""The signed-in person's own account: roles, sessions, 'sign out everywhere', how notifications
reach them by e-mail (at once or in a digest), and two-factor sign-in (enrolment,
verification, recovery codes)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from arc import two_factor
from arc.cross_tenant import ALERT_CODE, CODE
from arc.forms import CodeForm
from arc.roles import ROLE_LABELS, may_administer_tenant, roles_of
from iwms import notifications
from iwms.choices import AuditAction, NotificationDelivery
from iwms.errors import PolicyError
from iwms.models import AuditEvent, User
from iwms.refusals import record_refusal
from iwms.request_input import row_id
from iwms.sessions import SIGNED_IN_AT, end_all_sessions


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    signed_in_at = request.session.get(SIGNED_IN_AT)
    user = request.user
    context = {
        "role_set": roles_of(user),
        "signed_in_at": datetime.fromtimestamp(signed_in_at, tz=timezone.get_current_timezone())
        if signed_in_at
        else None,
        "idle_minutes": settings.IWMS_SESSION_IDLE_MINUTES,
        "max_hours": settings.IWMS_SESSION_MAX_HOURS,
        "two_factor_enforced": settings.IWMS_REQUIRE_2FA,
        "two_factor_roles": [ROLE_LABELS[role] for role in two_factor.roles_requiring_two_factor(user)],
        "authenticator": two_factor.authenticator(user),
        "recovery_codes_left": two_factor.recovery_codes_left(user),
        "verified": user.is_verified(),
        "deliveries": NotificationDelivery.choices,
    }
    return render(request, "arc/account.html", context)


@login_required
@require_POST
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Immediate e-mails, or an hourly or daily digest; the inbox has everything either way."""
    try:
        notifications.set_delivery(
            user=request.user, delivery=request.POST.get("notification_delivery", ""), actor=request.user
        )
    except PolicyError as exc:
        messages.error(request, exc.message)
        return redirect("account")
    messages.success(request, f"Notification e-mails: {request.user.get_notification_delivery_display()}.")
    return redirect("account")


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    end_all_sessions(user=request.user, actor=request.user)
    logout(request)
    messages.success(request, "Every session of your account has been ended, this one included.")
    return redirect("login")


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, enrolled: bool) -> HttpResponse:
    # Shown once: the views that call this are never_cache, so no cache or back button keeps them.
    return render(
        request, "arc/recovery_codes.html", {"codes": codes, "enrolled": enrolled, "next": _next_url(request)}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol (or, once verified, replace) the authenticator app: the secret as text and as a QR
    code, confirmed with a code from the app; then the recovery codes, shown this once."""
    user = request.user
    if two_factor.authenticator(user) is not None and not user.is_verified():
        # Replacing the authenticator needs the current one: otherwise a stolen password would do.
        return redirect(f"{reverse('two_factor_verify')}?{request.GET.urlencode()}")
    key = request.session.get(two_factor.SETUP_KEY)
    if not key:
        key = two_factor.new_setup_key()
        request.session[two_factor.SETUP_KEY] = key
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.enrol_authenticator(user=user, key=key, code=form.cleaned_data["code"])
        except PolicyError as exc:
            form.add_error("code", exc.message)
        else:
            del request.session[two_factor.SETUP_KEY]
            otp_login(request, device)
            request.session.cycle_key()
            return _recovery_codes_page(request, codes, enrolled=True)
    uri = two_factor.setup_uri(user, key)
    context = {
        "form": form,
        "secret": two_factor.readable_secret(key),
        "qr_svg": two_factor.qr_svg(uri),
        "next": _next_url(request),
        "required_for": [ROLE_LABELS[role] for role in two_factor.roles_requiring_two_factor(user)],
    }
    return render(request, "arc/two_factor_setup.html", context, status=422 if form.errors else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if two_factor.authenticator(user) is None and not two_factor.recovery_codes_left(user):
        return redirect(f"{reverse('two_factor_setup')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify_second_factor(user=user, code=form.cleaned_data["code"])
        except PolicyError as exc:
            record_refusal(exc, actor=user)
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            request.session.cycle_key()
            return redirect(_next_url(request))
    context = {"form": form, "next": _next_url(request)}
    return render(request, "arc/two_factor_verify.html", context, status=422 if form.errors else 200)


@never_cache
@login_required
@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    if not request.user.is_verified():
        raise PolicyError(
            "auth.second_factor_required",
            "Verify your second factor before issuing new recovery codes.",
            tenant=request.user.organisation,
        )
    codes = two_factor.issue_recovery_codes(user=request.user)
    return _recovery_codes_page(request, codes, enrolled=False)


# --- the tenant admin's security events -------------------------------------------------------

SECURITY_PAGE_SIZE = 50


@login_required
@require_GET
def security_events(request: HttpRequest) -> HttpResponse:
    """Refused lookups of other tenants' rows and the alerts they raised, from the tenant's own
    ledger, newest first; `?actor=<id>` narrows it to one person of the tenant."""
    decision = may_administer_tenant(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)
    tenant_id = request.user.organisation_id
    events = (
        AuditEvent.objects.filter(organisation_id=tenant_id)
        .filter(Q(action=AuditAction.ACCESS_DENIED, changes__code=CODE) | Q(changes__code=ALERT_CODE))
        .select_related("actor")
        .order_by("-seq")
    )
    raw_actor = request.GET.get("actor", "")
    actor = None
    if raw_actor.isdigit():
        actor_id = row_id(raw_actor)
        actor = User.objects.filter(organisation_id=tenant_id, pk=actor_id).first() if actor_id else None
        events = events.filter(actor_id=actor_id) if actor_id else events.none()
    page = Paginator(events, SECURITY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "arc/security_events.html",
        {"page": page, "actor": actor, "actor_id": raw_actor if raw_actor.isdigit() else "", "alert_code": ALERT_CODE},
    )
