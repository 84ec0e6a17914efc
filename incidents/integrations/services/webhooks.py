"""Outbound webhooks: subscribing a URL to event types, queuing a delivery per subscribed
endpoint when an event happens, delivering it signed (HMAC-SHA256 over the timestamp and the
body, replay-safe), logging each attempt, re-sending, and disabling an endpoint that keeps
failing (its tenant admins are told)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from arc.cross_tenant import tenant_admins
from incidents.integrations.choices import DeliveryStatus, WebhookEventType
from incidents.integrations.models import WebhookDelivery, WebhookEndpoint
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User

SIGNATURE_HEADER = "IWMS-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`; receivers recompute it and refuse
    a timestamp older than a few minutes, so a captured delivery cannot be replayed."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def subscribe(
    *, tenant: Organisation, url: str, event_types: Iterable[str], actor: User, description: str = ""
) -> WebhookEndpoint:
    chosen = sorted(set(event_types))
    if not chosen or any(value not in WebhookEventType.values for value in chosen):
        raise PolicyError(
            "validation.invalid", "Choose at least one known event type.", tenant=tenant, field="event_types"
        )
    if not url.startswith(("https://", "http://")):
        raise PolicyError("validation.invalid", "The URL must start with https://.", tenant=tenant, field="url")
    with transaction.atomic():
        endpoint = WebhookEndpoint(
            organisation=tenant,
            url=url,
            description=description,
            event_types=chosen,
            secret=secrets.token_hex(32),
            created_by=actor,
        )
        endpoint.save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor,
            obj=endpoint,
            message=f"Webhook subscribed: {url}",
            changes={"url": url, "event_types": chosen},
        )
    return endpoint


def set_endpoint_active(*, endpoint: WebhookEndpoint, active: bool, actor: User) -> WebhookEndpoint:
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.is_active = active
        locked.consecutive_failures = 0 if active else locked.consecutive_failures
        locked.disabled_at = None if active else timezone.now()
        locked.save(update_fields=["is_active", "consecutive_failures", "disabled_at", "updated_at"])
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=locked,
            message=f"Webhook {'enabled' if active else 'disabled'}: {locked.url}",
            changes={"is_active": [not active, active]},
        )
    return locked


def emit(*, tenant: Organisation | int, event_type: str, data: dict[str, Any]) -> list[int]:
    """Queue a delivery of `event_type` to each active endpoint of the tenant subscribed to it,
    sent after the caller's transaction commits."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organisation_id=tenant_id, is_active=True)
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                organisation_id=tenant_id,
                endpoint=endpoint,
                event_type=event_type,
                payload={"type": event_type, "created_at": now.isoformat(), "data": data},
            )
            for endpoint in endpoints
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _schedule(ids))
    return ids


def _schedule(ids: list[int]) -> None:
    from incidents.integrations.tasks import deliver_webhook

    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)


def resend(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """A new delivery of the same payload (the log keeps the old one)."""
    with transaction.atomic():
        copy = WebhookDelivery(
            organisation_id=delivery.organisation_id,
            endpoint=delivery.endpoint,
            event_type=delivery.event_type,
            payload=delivery.payload,
            resent_from=delivery,
        )
        copy.save()
        record_event(
            tenant=delivery.organisation_id,
            action=AuditAction.NOTIFY,
            actor=actor,
            obj=copy,
            message=f"Webhook delivery {delivery.pk} re-sent.",
            changes={"resent_from": delivery.pk},
        )
        transaction.on_commit(lambda: _schedule([copy.pk]))
    return copy


def attempt_delivery(delivery_id: int) -> WebhookDelivery:
    """POST the delivery once and log the answer; returns the delivery (status pending again
    while more attempts remain after a failure)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.GAVE_UP):
        return delivery
    endpoint = delivery.endpoint
    body = json.dumps({"id": delivery.pk, **delivery.payload}, cls=DjangoJSONEncoder).encode()
    request = urllib.request.Request(  # noqa: S310 - the tenant admin chose an http(s) URL
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "IWMS-Webhooks/1",
            "IWMS-Event": delivery.event_type,
            "IWMS-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: signature(endpoint.secret, int(time.time()), body),
        },
    )
    started = time.monotonic()
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.IWMS_WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310
            code = answer.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:300]
    latency = int((time.monotonic() - started) * 1000)
    return _log_attempt(delivery.pk, code=code, error=error, latency_ms=latency)


def _log_attempt(delivery_id: int, *, code: int | None, error: str, latency_ms: int) -> WebhookDelivery:
    succeeded = code is not None and 200 <= code < 300
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        delivery.attempts += 1
        delivery.response_code, delivery.latency_ms, delivery.last_error = code, latency_ms, error
        if succeeded:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
            endpoint.consecutive_failures = 0
        else:
            gave_up = delivery.attempts >= settings.IWMS_WEBHOOK_MAX_ATTEMPTS or not endpoint.is_active
            delivery.status = DeliveryStatus.GAVE_UP if gave_up else DeliveryStatus.FAILED
            endpoint.consecutive_failures += 1
            if endpoint.is_active and endpoint.consecutive_failures >= settings.IWMS_WEBHOOK_MAX_FAILURES:
                _disable_failing(endpoint)
        delivery.save()
        endpoint.save(update_fields=["consecutive_failures", "is_active", "disabled_at", "updated_at"])
    return delivery


def _disable_failing(endpoint: WebhookEndpoint) -> None:
    endpoint.is_active, endpoint.disabled_at = False, timezone.now()
    message = f"Webhook {endpoint.url} disabled after {endpoint.consecutive_failures} failed deliveries in a row."
    record_event(
        tenant=endpoint.organisation_id,
        action=AuditAction.UPDATE,
        actor="webhooks",
        obj=endpoint,
        message=message,
        changes={"is_active": [True, False], "consecutive_failures": endpoint.consecutive_failures},
    )
    notifications.notify_many(
        notifications.draft(
            recipient=admin,
            event="webhook.disabled",
            obj=endpoint,
            subject="A webhook endpoint was disabled",
            body=message + " Re-enable it on the integrations page once it answers again.",
            url=reverse("integrations_webhooks"),
        )
        for admin in tenant_admins(endpoint.organisation_id, timezone.now())
    )
