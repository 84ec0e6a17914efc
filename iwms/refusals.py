"""Refusals: recording them in the ledger and turning them into responses.

One path turns a refusal into a response, by its kind (`iwms.errors.RefusalKind`): an *input*
refusal goes next to the field that caused it (`attempt` with the form, re-rendered with 422,
or, with no form to show, `refusal_response` with 422); an *access* refusal is a 403 page or
HTMX fragment, a *state* refusal a 409 — both from `PolicyErrorMiddleware`, whatever page the
request came from. The ledger records which kind it was.

A refusal is recorded as soon as it leaves the block that raised it (`audited_refusals`,
used by the transition wrapper). If an enclosing transaction then rolls back, that record
goes with it, so the outermost boundary — `PolicyErrorMiddleware` for views,
`audited_refusals` around tasks and commands — checks that the record survived and writes it
again if not. Either way each refusal is in the ledger exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from iwms.choices import AuditAction
from iwms.errors import PolicyError, RefusalKind, plain_context
from iwms.request_context import current_actor

logger = logging.getLogger("iwms.refusals")

# What the ledger calls each kind of refusal: an auditor's timeline says "input refused" for a
# field to correct, never "access denied".
LEDGER_ACTION = {
    RefusalKind.INPUT: AuditAction.INPUT_REFUSED,
    RefusalKind.ACCESS: AuditAction.ACCESS_DENIED,
    RefusalKind.STATE: AuditAction.TRANSITION_DENIED,
}


def _tenant_for(exc: PolicyError, actor: Any) -> Any:
    if exc.tenant is not None:
        return exc.tenant
    return getattr(actor, "organisation", None) if actor is not None else None


def _recorded(exc: PolicyError) -> bool:
    from iwms.models import AuditEvent

    if exc.audit_event_id is None:
        return False
    # The record may have been written in a savepoint that has since rolled back, even while an
    # outer transaction is still open; only the row itself says whether it survived.
    return AuditEvent.objects.filter(pk=exc.audit_event_id).exists()


def record_refusal(exc: PolicyError, *, actor: Any = None) -> None:
    """Write the refusal to the ledger unless a surviving record of it exists."""
    if exc.audited:
        return
    if connection.needs_rollback:
        # The enclosing transaction is broken and will roll back; writing now would fail and
        # hide the refusal behind a TransactionManagementError. The outer boundary records it.
        return
    if _recorded(exc):
        return
    from iwms.audit import record_event

    actor = actor if actor is not None else current_actor()
    tenant = _tenant_for(exc, actor)
    if tenant is None:
        exc.audited = True
        logger.warning("refusal without a tenant to audit it: %s %s", exc.code, exc.context)
        return
    # A refused transition stays "transition denied" whoever was refused (the kind says why).
    action = AuditAction.TRANSITION_DENIED if exc.code.startswith("transition.") else LEDGER_ACTION[exc.kind]
    context = plain_context({key: value for key, value in exc.context.items() if key not in {"object"}})
    event = record_event(
        tenant=tenant,
        action=action,
        actor=actor,
        object_type=str(context.pop("object_type", "")),
        object_id=str(context.pop("object_id", "")),
        message=exc.message,
        changes={"code": exc.code, "kind": exc.kind, **context},
    )
    exc.audit_event_id = event.pk


@contextmanager
def audited_refusals(*, actor: Any = None) -> Iterator[None]:
    """Record any PolicyError escaping the block (once; see the module docstring)."""
    try:
        yield
    except PolicyError as exc:
        record_refusal(exc, actor=actor)
        raise


INPUT_STATUS = 422


def place_on_form(form: Any, exc: PolicyError) -> None:
    """Put an input refusal next to the field that caused it, with its stable code: every
    field of an `errors` context (an incomplete checklist), else the form's own
    `field_for_refusal(exc)` when it has one, else the refusal's `field`; the form's top
    when it names no field of the form."""
    errors = exc.context.get("errors")
    if isinstance(errors, dict) and errors:
        for name, message in errors.items():
            form.add_error(name if name in form.fields else None, f"{message} ({exc.code})")
        return
    locate = getattr(form, "field_for_refusal", None)
    field = locate(exc) if locate is not None else exc.context.get("field")
    form.add_error(field if field in form.fields else None, f"{exc.message} ({exc.code})")


def attempt(form: Any, call: Callable[[], Any]) -> bool:
    """Run a service call made from `form`. An input refusal lands on the form (False: the
    view re-renders it with `INPUT_STATUS`); any other refusal propagates to
    `PolicyErrorMiddleware`, so an access refusal is the same 403 on every page."""
    try:
        call()
    except PolicyError as exc:
        if exc.kind != RefusalKind.INPUT:
            raise
        record_refusal(exc)
        place_on_form(form, exc)
        return False
    return True


def form_status(form: Any) -> int:
    """The status of a page re-rendering `form`: 422 while it carries errors."""
    return INPUT_STATUS if form.errors else 200


def form_refusal(form: Any, obj: Any) -> PolicyError:
    """The input refusal of a form that did not validate and has no page to be shown on (a
    small form inside another fragment): `validation.invalid` naming its first field."""
    field = next(iter(form.errors), None)
    message = "; ".join(error for errors in form.errors.values() for error in errors)
    return PolicyError.on(
        "validation.invalid", message or "The input is not valid.", obj, field=field if field != "__all__" else None
    )


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def refusal_response(request: HttpRequest, exc: PolicyError) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": exc.as_dict()}, status=exc.http_status)
    if getattr(request, "htmx", False):
        template = "components/refusal.html"
    else:
        template = "403.html" if exc.http_status == 403 else "iwms/refused.html"
    response = render(request, template, {"error": exc}, status=exc.http_status)
    if getattr(request, "htmx", False):
        # Let the page show the message in its refusal slot instead of swapping the target.
        response["HX-Retarget"] = "#refusals"
        response["HX-Reswap"] = "innerHTML"
    return response


def permission_denied_response(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    reason = str(exc) or "Your role does not allow this."
    if wants_json(request):
        return JsonResponse({"error": {"code": "access_denied", "message": reason, "context": {}}}, status=403)
    if getattr(request, "htmx", False):
        response = render(
            request, "components/refusal.html", {"error": PolicyError("access_denied", reason)}, status=403
        )
        response["HX-Retarget"] = "#refusals"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "403.html", {"exception": reason}, status=403)


CSRF_MESSAGE = (
    "This page's security token is out of date (you may have signed in again, or in another tab). "
    "Reload the page and try again; what you typed here was not saved."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. Django's own page carries an inline <style>: htmx swapped it into the
    step that was submitted, which the Content-Security-Policy blocked, and the step vanished
    behind a bare "Forbidden" (issue 13). This answer is the refusal's, in the refusal slot."""
    logger.warning("CSRF check failed on %s: %s", request.path, reason)
    return refusal_response(request, PolicyError("access_denied", CSRF_MESSAGE, reason=reason))


class PolicyErrorMiddleware:
    """Turn an escaping PolicyError into a 403/409/422 page, fragment or JSON, and audit it;
    and an escaping PermissionDenied into the same styled 403 page. Both are answers, not
    failures: Django then logs one "Forbidden" line, not the traceback it logs for an
    exception it handles itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied):
            return permission_denied_response(request, exception)
        if not isinstance(exception, PolicyError):
            return None
        user = getattr(request, "user", None)
        record_refusal(exception, actor=user if user is not None and user.is_authenticated else None)
        return refusal_response(request, exception)
