"""Kernel pages: the load balancers' health check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from iwms.models import Heartbeat


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return False, type(exc).__name__
    return True, connection.vendor


def _broker_ok() -> tuple[bool, str]:
    from iwms.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport.driver_type
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__
    return True, str(transport)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 otherwise. The worker's last heartbeat
    is reported but does not fail the check: web nodes stay in rotation while workers restart.
    While the node's drain file (`IWMS_DRAIN_FILE`) exists, 503 "draining": the load balancer
    takes the node out and it finishes what it is serving (a deploy touches the file first)."""
    if settings.IWMS_DRAIN_FILE and Path(settings.IWMS_DRAIN_FILE).exists():
        return JsonResponse({"status": "draining"}, status=503)
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    worker = None
    if db_ok:
        beat = Heartbeat.objects.filter(component="worker").first()
        if beat is not None:
            age = (timezone.now() - beat.seen_at).total_seconds()
            stale = age > timedelta(seconds=settings.IWMS_HEARTBEAT_STALE_SECONDS).total_seconds()
            worker = {"last_seen_seconds": round(age), "stale": stale}
    healthy = db_ok and broker_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "worker": worker,
    }
    return JsonResponse(body, status=200 if healthy else 503)


class HealthCheckMiddleware:
    """Answer GET /healthz before host validation and the HTTPS redirect: load balancers probe
    each node over plain HTTP with its address as Host, which must not turn into a 400 or 301."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" and request.method == "GET":
            return healthz(request)
        return self.get_response(request)
