"""Who is acting and under which request id, for the audit ledger.

Held in context variables so services deep in a call stack can attribute an audit event
without every signature carrying the request. Tasks and commands set them explicitly.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("iwms_request_id", default="")
_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("iwms_actor", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


def current_actor() -> Any:
    return _actor.get()


@contextmanager
def acting(actor: Any = None, request_id: str | None = None) -> Iterator[None]:
    """Attribute audit events inside the block to `actor` (a user, or None for the system)."""
    actor_token = _actor.set(actor)
    rid_token = _request_id.set(request_id or _request_id.get() or uuid.uuid4().hex)
    try:
        yield
    finally:
        _actor.reset(actor_token)
        _request_id.reset(rid_token)


class RequestContextMiddleware:
    """Assign every request an id (or accept a well-formed X-Request-ID) and echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ActorMiddleware:
    """Make the authenticated user the actor of audit events written during the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        token = _actor.set(user if user is not None and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)
