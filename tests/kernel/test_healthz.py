"""GET /healthz for load balancers: 200 when database and broker answer, 503 otherwise."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from iwms import views
from iwms.models import Heartbeat
from iwms.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(views, "_database_ok", lambda: (False, "OperationalError"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == {"ok": False, "detail": "OperationalError"}


def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(views, "_broker_ok", lambda: (False, "ConnectionRefusedError"))
    assert client.get("/healthz").status_code == 503


def test_worker_heartbeat_is_reported_and_goes_stale(client, settings):
    record_heartbeat()
    body = json.loads(client.get("/healthz").content)
    assert body["worker"]["stale"] is False
    Heartbeat.objects.filter(component="worker").update(seen_at=timezone.now() - timezone.timedelta(hours=1))
    body = json.loads(client.get("/healthz").content)
    assert body["worker"]["stale"] is True
    assert client.get("/healthz").status_code == 200  # web stays in rotation while workers restart


def test_healthz_answers_probes_by_address_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["iwms.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="node-7.lb.internal:8000")
    assert response.status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="node-7.lb.internal:8000").status_code == 400
