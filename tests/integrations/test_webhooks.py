"""Outbound webhooks: deliveries signed with HMAC-SHA256 over the timestamp and the body,
logged with response code and latency, retried with backoff, re-sendable, and an endpoint
that keeps failing disabled with its tenant admins told."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from incidents.integrations.choices import DeliveryStatus, WebhookEventType
from incidents.integrations.models import WebhookDelivery
from incidents.integrations.services import webhooks
from iwms.errors import PolicyError
from iwms.models import Notification
from tests.integrations.conftest import trigger

pytestmark = pytest.mark.django_db


class Retried(Exception):
    """What the task raises in place of Celery's retry, so the test sees each delay."""


class Receiver:
    """A local HTTP endpoint answering `status` and keeping what it received."""

    def __init__(self, status: int = 200):
        self.status = status
        self.received: list[tuple[Any, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def endpoint(mine, admin, receiver):
    return webhooks.subscribe(
        tenant=mine, url=receiver.url, event_types=[WebhookEventType.INCIDENT_CREATED], actor=admin
    )


def test_an_incident_created_by_a_source_is_delivered_signed(
    api, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reference = trigger(api).json()["incident"]
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    timestamp, mac = (part.split("=", 1)[1] for part in headers["IWMS-Signature"].split(","))
    expected = hmac.new(endpoint.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    document = json.loads(body)
    assert document["type"] == "incident.created" and document["data"]["incident"] == reference
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.DELIVERED, 200, 1)
    assert delivery.latency_ms is not None


def test_an_endpoint_not_subscribed_to_the_type_gets_nothing(mine, admin, receiver):
    webhooks.subscribe(tenant=mine, url=receiver.url, event_types=[WebhookEventType.INCIDENT_CLOSED], actor=admin)
    assert webhooks.emit(tenant=mine, event_type=WebhookEventType.INCIDENT_CREATED, data={}) == []


def test_a_failed_delivery_is_retried_with_growing_delays_until_it_gives_up(
    endpoint, receiver, mine, settings, monkeypatch
):
    from incidents.integrations.tasks import deliver_webhook

    settings.IWMS_WEBHOOK_MAX_ATTEMPTS = 3
    settings.IWMS_WEBHOOK_MAX_FAILURES = 10
    receiver.status = 500
    delays: list[int] = []

    def retry(countdown: int) -> Exception:
        delays.append(countdown)
        return Retried()

    monkeypatch.setattr(deliver_webhook, "retry", retry)
    [delivery_id] = webhooks.emit(tenant=mine, event_type=WebhookEventType.INCIDENT_CREATED, data={"x": 1})
    outcomes = [deliver_webhook.apply(args=[delivery_id], throw=False) for _ in range(3)]
    assert delays == [30, 60]
    assert outcomes[0].failed() and outcomes[2].result == DeliveryStatus.GAVE_UP
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == (DeliveryStatus.GAVE_UP, 3, 500)
    assert len(receiver.received) == 3


def test_an_endpoint_failing_n_times_in_a_row_is_disabled_and_admins_told(endpoint, receiver, mine, admin, settings):
    settings.IWMS_WEBHOOK_MAX_FAILURES = 2
    receiver.status = 503
    for _ in range(2):
        [delivery_id] = webhooks.emit(tenant=mine, event_type=WebhookEventType.INCIDENT_CREATED, data={})
        webhooks.attempt_delivery(delivery_id)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert Notification.objects.filter(recipient=admin, event="webhook.disabled").exists()
    assert webhooks.emit(tenant=mine, event_type=WebhookEventType.INCIDENT_CREATED, data={}) == []


def test_a_success_resets_the_failure_count(endpoint, receiver, mine):
    receiver.status = 500
    webhooks.attempt_delivery(webhooks.emit(tenant=mine, event_type="incident.created", data={})[0])
    receiver.status = 204
    webhooks.attempt_delivery(webhooks.emit(tenant=mine, event_type="incident.created", data={})[0])
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.is_active


def test_an_unreachable_endpoint_is_logged_with_the_error(mine, admin):
    dead = webhooks.subscribe(tenant=mine, url="http://127.0.0.1:9/hook", event_types=["incident.created"], actor=admin)
    delivery = webhooks.attempt_delivery(webhooks.emit(tenant=mine, event_type="incident.created", data={})[0])
    assert delivery.response_code is None and delivery.last_error and delivery.endpoint == dead


def test_a_delivery_is_resent_as_a_new_delivery_of_the_same_payload(endpoint, receiver, mine, admin):
    [delivery_id] = webhooks.emit(tenant=mine, event_type="incident.created", data={"incident": "INC-1"})
    first = webhooks.attempt_delivery(delivery_id)
    again = webhooks.resend(delivery=first, actor=admin)
    webhooks.attempt_delivery(again.pk)
    assert again.resent_from == first and again.payload == first.payload
    assert [json.loads(body)["id"] for _, body in receiver.received] == [first.pk, again.pk]


def test_subscribing_needs_known_event_types_and_a_web_url(mine, admin):
    with pytest.raises(PolicyError) as caught:
        webhooks.subscribe(tenant=mine, url="https://x.example/h", event_types=["nonsense"], actor=admin)
    assert caught.value.context["field"] == "event_types"
    with pytest.raises(PolicyError) as caught:
        webhooks.subscribe(tenant=mine, url="ftp://x.example/h", event_types=["incident.created"], actor=admin)
    assert caught.value.context["field"] == "url"
