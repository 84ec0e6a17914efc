"""Kernel background tasks."""

from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from iwms.models import Heartbeat


@shared_task(name="iwms.tasks.record_heartbeat", acks_late=True)
def record_heartbeat() -> str:
    """Prove the worker (and beat, which scheduled it) are alive; /healthz reads this row."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(component="worker", defaults={"seen_at": now, "detail": socket.gethostname()})
    return now.isoformat()
