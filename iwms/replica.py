"""Read-only pages from a streaming replica, when one is configured (`DATABASE_REPLICA_URL`).

A view marked `@reads_from_replica` (lists, dashboards, the portal, exports) runs its reads on
the `replica` database — unless the person asking wrote something a moment ago: any unsafe
request (POST, PUT, PATCH, DELETE) pins them to the primary for `IWMS_REPLICA_PIN_SECONDS`
through a cookie, so they always read their own writes. Reads inside a transaction on the
primary (a service locking rows, the ledger reading its chain head) and every write go to the
primary whatever the view. Without a replica the router answers nothing and every query goes
to `default`, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "iwms_primary_until"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

_on_replica: ContextVar[bool] = ContextVar("iwms_on_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Send reads to the replica inside a `reading_from_replica` block; everything else to default."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _on_replica.get() and replica_configured() and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows the primary's schema by replication


class reading_from_replica:
    """Within this block, reads go to the replica (when configured)."""

    def __enter__(self) -> None:
        self._token = _on_replica.set(True)

    def __exit__(self, *exc: object) -> None:
        _on_replica.reset(self._token)


def pinned_to_primary(request: HttpRequest) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def _replica_rows(chunks: Any) -> Any:
    with reading_from_replica():
        yield from chunks


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a read-only view: its safe requests read from the replica, unless pinned."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in UNSAFE or not replica_configured() or pinned_to_primary(request):
            return view(request, *args, **kwargs)
        with reading_from_replica():
            response = view(request, *args, **kwargs)
            # A lazy response (a template rendered later) still reads inside the block.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        if response.streaming:  # an export streams after the view returns: its rows too
            response.streaming_content = _replica_rows(response.streaming_content)
        return response

    return wrapper


class ReplicaPinMiddleware:
    """After an unsafe request, pin the person to the primary for a few seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method in UNSAFE and replica_configured():
            seconds = settings.IWMS_REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
