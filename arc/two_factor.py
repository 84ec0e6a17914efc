"""Two-factor sign-in: who must use it, enrolment, verification and recovery codes.

A time-based one-time code (TOTP, django-otp) from an authenticator app, plus ten single-use
recovery codes (django-otp's static device) for a lost phone. With `IWMS_REQUIRE_2FA` on (the
production default), tenant admins, supervisors and above, auditors, regulators, external
providers and platform admins must enrol; anyone who has enrolled is asked for a code at every
sign-in. `TwoFactorMiddleware` sends a signed-in person who still owes the second factor to
enrolment or verification before any other page.
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from collections.abc import Callable
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from arc.choices import Role
from arc.roles import DerivedRole, roles_of
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.htmx import page_path, redirect_whole_page
from iwms.models import User

TWO_FACTOR_ROLES = (
    DerivedRole.SUPERVISOR,
    DerivedRole.DEPARTMENT_HEAD,
    DerivedRole.TOP,
    DerivedRole.PLATFORM_ADMIN,
    Role.TENANT_ADMIN,
    Role.AUDITOR,
    Role.REGULATOR,
    Role.EXTERNAL_PROVIDER,
)
RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# Session key of the secret being enrolled: kept server-side until the person proves their app
# has it, so nothing is written to the database by looking at the enrolment page.
SETUP_KEY = "iwms_totp_setup_key"
# How long the finding "this person does not need a second factor" is trusted before the roles
# are read again (a new grant takes effect within this many seconds, without a query per page).
NOT_REQUIRED_RECHECK_SECONDS = 300
NOT_REQUIRED_CHECKED_AT = "iwms_2fa_not_required_at"


def roles_requiring_two_factor(user: User) -> list[str]:
    """The user's roles that make a second factor compulsory (empty when it is switched off)."""
    if not settings.IWMS_REQUIRE_2FA:
        return []
    held = roles_of(user).roles
    return [role for role in TWO_FACTOR_ROLES if role in held]


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def new_setup_key() -> str:
    return default_key()


def setup_uri(user: User, key: str) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed in)."""
    return TOTPDevice(user=user, key=key, name=AUTHENTICATOR_NAME).config_url


def readable_secret(key: str) -> str:
    """The secret as an app asks for it when typed in: base32, in groups of four."""
    secret = b32encode(unhexlify(key.encode())).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> SafeString:
    """The URI as an inline SVG QR code, black on a white square so it scans in dark mode too."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8, border=4)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace("<svg ", '<svg role="img" aria-label="QR code of your sign-in secret" ', 1)
    # Generated here from our own URI: there is no input in it to escape.
    return mark_safe(svg)  # noqa: S308


def _normalise(code: str) -> str:
    return "".join(code.split()).lower()


def _audit(user: User, *, action: str, message: str, changes: dict) -> None:
    if user.organisation_id:
        record_event(tenant=user.organisation_id, action=action, actor=user, obj=user, message=message, changes=changes)


def _refuse(user: User, message: str, **context: object) -> PolicyError:
    return PolicyError(
        "auth.second_factor_invalid",
        message,
        tenant=user.organisation,
        object_type=user._meta.label_lower,
        object_id=str(user.pk),
        **context,
    )


def issue_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes with ten new single-use ones; returns them (the only
    time they are shown)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
        _audit(
            user,
            action=AuditAction.UPDATE,
            message="New recovery codes issued; earlier ones no longer work.",
            changes={"recovery_codes": RECOVERY_CODE_COUNT},
        )
    return codes


def enrol_authenticator(*, user: User, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm that the person's app produces `code` from `key`, then make it their one
    authenticator (replacing any earlier one) and issue fresh recovery codes."""
    normalised = _normalise(code)
    totp = TOTP(unhexlify(key.encode()))
    totp.time = time.time()
    if not (normalised.isdigit() and totp.verify(int(normalised), tolerance=1)):
        raise _refuse(user, "That code does not match: check the app's clock and type the current code.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        # last_t: the code just used cannot be replayed to verify another session.
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=totp.t(), drift=totp.drift
        )
        _audit(
            user,
            action=AuditAction.UPDATE,
            message="Two-factor sign-in enrolled with an authenticator app.",
            changes={"two_factor": "authenticator enrolled"},
        )
        codes = issue_recovery_codes(user=user)
    return device, codes


def verify_second_factor(*, user: User, code: str) -> TOTPDevice | StaticDevice:
    """The device that accepts `code`: the authenticator for a six-digit code, else the
    recovery codes (each works once). Refusals are audited by the caller's boundary."""
    normalised = _normalise(code)
    if normalised.isdigit():
        device = authenticator(user)
        method = "authenticator"
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        method = "recovery_code"
    if device is None:
        raise _refuse(user, "That code is not valid.", method=method)
    allowed, why = device.verify_is_allowed()
    if not allowed:
        until = timezone.localtime(why["locked_until"]).strftime("%H:%M:%S") if why.get("locked_until") else ""
        raise _refuse(
            user,
            f"Too many wrong codes: wait until {until} before trying again." if until else "Too many wrong codes.",
            method=method,
            failures=why.get("failure_count"),
        )
    if not device.verify_token(normalised):
        raise _refuse(user, "That code is not valid.", method=method)
    changes: dict[str, object] = {"outcome": "second_factor_verified", "method": method}
    if method == "recovery_code":
        changes["recovery_codes_left"] = recovery_codes_left(user)
    _audit(user, action=AuditAction.LOGIN, message="Second factor verified.", changes=changes)
    return device


def second_factor_owed(request: HttpRequest) -> str:
    """Where a signed-in person who has not yet verified a second factor must go first:
    "verify" (they have an authenticator), "setup" (their roles need one), or "" (neither)."""
    user = request.user
    if not settings.IWMS_REQUIRE_2FA or user.is_verified():
        return ""
    checked_at = request.session.get(NOT_REQUIRED_CHECKED_AT)
    if checked_at and timezone.now().timestamp() - checked_at < NOT_REQUIRED_RECHECK_SECONDS:
        return ""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return "verify"
    if roles_requiring_two_factor(user):
        return "setup"
    request.session[NOT_REQUIRED_CHECKED_AT] = timezone.now().timestamp()
    return ""


def exempt_paths() -> tuple[str, ...]:
    return (
        reverse("two_factor_setup"),
        reverse("two_factor_verify"),
        reverse("logout"),
        reverse("login"),
        settings.STATIC_URL,
    )


class TwoFactorMiddleware:
    """Until the second factor is verified, every page but enrolment, verification, sign-in,
    sign-out and static files redirects to enrolment or verification (and back afterwards)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(exempt_paths()):
            owed = second_factor_owed(request)
            if owed:
                back = page_path(request)
                target = reverse("two_factor_setup" if owed == "setup" else "two_factor_verify")
                return redirect_whole_page(request, f"{target}?{urlencode({'next': back})}")
        return self.get_response(request)
