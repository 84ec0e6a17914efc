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


@shared_task(
    name="iwms.tasks.send_notification_emails",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=8,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail these notifications (each at most once; see `iwms.notifications.send_emails`)."""
    from iwms.notifications import send_emails

    return send_emails(notification_ids)


@shared_task(name="iwms.tasks.checkpoint_ledger", acks_late=True)
def checkpoint_ledger() -> int:
    """Sign a checkpoint of every tenant's audit chain that moved (beat, on a schedule)."""
    from iwms.ledger_checkpoints import checkpoint_ledger as write_checkpoints

    return len(write_checkpoints().written)


@shared_task(name="iwms.tasks.send_notification_digests", acks_late=True, reject_on_worker_lost=True)
def send_notification_digests(recipient_ids: list[int] | None = None) -> int:
    """Beat: e-mail each due digest (see `iwms.notifications.send_digests`); also called for one
    person who switches back to immediate e-mails."""
    from iwms.notifications import send_digests

    return send_digests(recipient_ids=recipient_ids)
