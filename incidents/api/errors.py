"""The API's one error shape, `{"error": {code, kind, message, context}}` with the stable codes
of `iwms.errors.CATALOGUE`, for every failure DRF or a service raises; refusals are audited."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from iwms.errors import PolicyError
from iwms.refusals import record_refusal


def _flatten(detail: Any, prefix: str = "") -> dict[str, str]:
    """DRF's nested error detail as `{"field.sub": "message"}`."""
    if isinstance(detail, dict):
        found: dict[str, str] = {}
        for name, value in detail.items():
            key = name if name != "non_field_errors" else ""
            found |= _flatten(value, f"{prefix}.{key}" if prefix and key else prefix or key)
        return found
    if isinstance(detail, list):
        if detail and all(not isinstance(item, dict | list) for item in detail):
            return {prefix: " ".join(str(item) for item in detail)}
        found = {}
        for index, item in enumerate(detail):
            found |= _flatten(item, f"{prefix}[{index}]")
        return found
    return {prefix: str(detail)}


def _as_policy_error(exc: Exception, user: Any) -> PolicyError | None:
    tenant = getattr(user, "organisation", None)
    if isinstance(exc, PolicyError):
        return exc
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        field = next(iter(errors), "") or None
        message = "; ".join(f"{name}: {text}" if name else text for name, text in errors.items())
        return PolicyError("validation.invalid", message, tenant=tenant, field=field, errors=errors)
    if isinstance(exc, exceptions.ParseError):
        return PolicyError("api.malformed", str(exc.detail), tenant=tenant)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return PolicyError("api.unsupported_media_type", tenant=tenant)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return PolicyError("api.method_not_allowed", str(exc.detail), tenant=tenant)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return PolicyError("token.invalid", "Send a valid API token: 'Authorization: Bearer iwms_…'.")
    if isinstance(exc, exceptions.PermissionDenied):
        return PolicyError("access_denied", str(exc.detail), tenant=tenant)
    return None


def error_response(exc: PolicyError) -> Response:
    response = Response({"error": exc.as_dict()}, status=exc.http_status)
    if exc.code == "api.rate_limited":
        response["Retry-After"] = str(exc.context.get("retry_after", 60))
    if exc.code == "token.invalid":
        response["WWW-Authenticate"] = 'Bearer realm="iwms"'
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    user = getattr(request, "_user", None) if request is not None else None
    if isinstance(exc, Http404 | exceptions.NotFound):
        # `arc.cross_tenant.not_found` has recorded the refused lookup already.
        return error_response(PolicyError("not_found", str(exc) or "Not found."))
    refusal = _as_policy_error(exc, user)
    if refusal is None:
        return None
    record_refusal(refusal, actor=user if getattr(user, "is_authenticated", False) else None)
    return error_response(refusal)
