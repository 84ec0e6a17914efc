"""Signing in: the one login page, throttled by django-axes and written to the tenant's ledger.

Every account may fail `AXES_FAILURE_LIMIT` times within the cool-off before it is locked out;
an address is locked out as a whole only when failures from it, across all accounts, reach the
higher `IWMS_LOGIN_ADDRESS_FAILURE_LIMIT` — so one person's mistyping behind a shared gateway
does not lock out the shift. Successful and failed sign-ins and lockouts go to the ledger of the
account's tenant; a username that matches no account is logged, never audited to a tenant.
(Django's `login()` rotates the session key; `iwms.sessions` stamps the new session.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import record_refusal
from iwms.request_input import StorableTextForm

logger = logging.getLogger("iwms.login")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind `IWMS_PROXY_COUNT` reverse proxies that each
    append to X-Forwarded-For, the entry the outermost trusted proxy appended (entries further
    left were sent by the client and may be forged)."""
    proxies = settings.IWMS_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """AXES_COOLOFF_TIME: how long failures count, and so how long a lockout lasts."""
    return timedelta(minutes=settings.IWMS_LOGIN_COOLOFF_MINUTES)


def _address_failures(ip_address: str, at: datetime | None) -> int:
    since = (at or timezone.now()) - cool_off()
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


def lockout_parameters(request_or_attempt: Any, credentials: dict | None = None) -> list[str]:
    """AXES_LOCKOUT_PARAMETERS: by account always; by address too once the address has reached
    its own (higher) limit."""
    ip_address = getattr(request_or_attempt, "axes_ip_address", None) or getattr(request_or_attempt, "ip_address", None)
    at = getattr(request_or_attempt, "axes_attempt_time", None) or getattr(request_or_attempt, "attempt_time", None)
    if ip_address and _address_failures(ip_address, at) >= settings.IWMS_LOGIN_ADDRESS_FAILURE_LIMIT:
        return ["username", "ip_address"]
    return ["username"]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the lockout page, 429, saying for how long."""
    context = {
        "username": (credentials or {}).get("username") or request.POST.get("username", ""),
        "cooloff_minutes": settings.IWMS_LOGIN_COOLOFF_MINUTES,
    }
    return render(request, "registration/locked_out.html", context, status=429)


def _account(username: str) -> User | None:
    return User.objects.filter(username=username).select_related("organisation").first() if username else None


def record_failed_sign_in(*, request: HttpRequest, username: str) -> None:
    """Audit one refused sign-in: a wrong password (action `login`) or an attempt refused or
    stopped by the lockout (action `access_denied`, code `auth.locked_out`)."""
    ip_address = getattr(request, "axes_ip_address", None) or client_ip(request)
    failures = getattr(request, "axes_failures_since_start", None)
    locked_out = bool(getattr(request, "axes_locked_out", False))
    account = _account(username)
    if account is None or account.organisation_id is None:
        logger.warning(
            "failed sign-in as %r from %s%s (no tenant ledger)",
            username,
            ip_address,
            ", locked out" if locked_out else "",
        )
        return
    actor = f"anonymous sign-in from {ip_address}"
    if locked_out:
        refusal = PolicyError(
            "auth.locked_out",
            f"Sign-in as {username} refused: too many failed attempts; locked out for the cool-off period.",
            tenant=account.organisation,
            object_type=account._meta.label_lower,
            object_id=str(account.pk),
            username=username,
            ip_address=ip_address,
            failures=failures,
        )
        record_refusal(refusal, actor=actor)
        return
    record_event(
        tenant=account.organisation_id,
        action=AuditAction.LOGIN,
        actor=actor,
        obj=account,
        message=f"Failed sign-in as {username}: wrong password.",
        changes={"outcome": "failed", "username": username, "ip_address": ip_address, "failures": failures},
    )


def record_sign_in(*, request: HttpRequest, user: User) -> None:
    if user.organisation_id is None:
        logger.info("%s signed in from %s (no tenant ledger)", user.get_username(), client_ip(request))
        return
    record_event(
        tenant=user.organisation_id,
        action=AuditAction.LOGIN,
        actor=user,
        obj=user,
        message="Signed in.",
        changes={"outcome": "signed_in", "ip_address": getattr(request, "axes_ip_address", None) or client_ip(request)},
    )


class SignInForm(StorableTextForm, AuthenticationForm):
    """Django's sign-in form, with the username held to the account field's length before any
    lookup: a longer one is no account, and stored as typed it overflowed django-axes'
    attempt log (a server error, issue 13)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = SignInForm

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        record_sign_in(request=self.request, user=form.get_user())
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = form.data.get("username", "")
        if username and form.data.get("password"):  # a real attempt, not a half-filled form
            record_failed_sign_in(request=self.request, username=username)
        return super().form_invalid(form)
