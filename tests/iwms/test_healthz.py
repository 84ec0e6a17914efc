"""GET /healthz for load balancers: 200 JSON when the database and the broker (embedded:
kombu's filesystem transport) answer, 503 when either does not."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from iwms import views
from iwms.models import Heartbeat

pytestmark = pytest.mark.django_db


def health(client, **extra):
    response = client.get("/healthz", **extra)
    return response, json.loads(response.content)


def test_healthz_is_200_json_with_database_and_broker_ok(client, settings):
    transport = settings.CELERY_BROKER_URL.split(":", 1)[0]  # filesystem (embedded) or redis (CI)
    response, body = health(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": views.connection.vendor}
    assert body["broker"] == {"ok": True, "detail": transport}
    assert body["worker"] is None  # no heartbeat yet; reported, never failing the check
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_check_fails(client, monkeypatch):
    monkeypatch.setattr(views, "_database_ok", lambda: (False, "OperationalError"))
    response, body = health(client)
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": False, "detail": "OperationalError"}
    assert body["broker"]["ok"] is True
    assert body["worker"] is None  # the database is not read when it is down


def test_healthz_is_503_when_the_broker_check_fails(client, monkeypatch):
    monkeypatch.setattr(views, "_broker_ok", lambda: (False, "ConnectionRefusedError"))
    response, body = health(client)
    assert response.status_code == 503
    assert body["broker"] == {"ok": False, "detail": "ConnectionRefusedError"}


def test_a_failing_database_is_reported_by_the_name_of_its_error(monkeypatch):
    class BrokenConnection:
        vendor = "postgresql"

        def cursor(self):
            raise ConnectionError("no route to host")

    monkeypatch.setattr(views, "connection", BrokenConnection())
    assert views._database_ok() == (False, "ConnectionError")


def test_an_unreachable_broker_is_reported_by_the_name_of_its_error(settings, monkeypatch):
    from kombu import Connection

    from iwms.celery import app

    # Point the health check's connection at a closed local port, whatever broker is configured.
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection("redis://127.0.0.1:1/0"))
    ok, detail = views._broker_ok()
    assert ok is False and detail


def test_the_worker_heartbeat_is_reported_and_goes_stale(client, settings):
    Heartbeat.objects.create(component="worker", seen_at=timezone.now() - timedelta(seconds=5))
    _, body = health(client)
    assert body["worker"]["stale"] is False and 4 <= body["worker"]["last_seen_seconds"] <= 60
    Heartbeat.objects.filter(component="worker").update(
        seen_at=timezone.now() - timedelta(seconds=settings.IWMS_HEARTBEAT_STALE_SECONDS + 60)
    )
    response, body = health(client)
    assert body["worker"]["stale"] is True
    assert response.status_code == 200  # web nodes stay in rotation while workers restart


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_answers_a_probe_by_node_address_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["iwms.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response, body = health(client, HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200 and body["status"] == "ok"


def test_a_draining_node_answers_503_until_its_drain_file_goes(client, settings, tmp_path):
    settings.IWMS_DRAIN_FILE = str(tmp_path / "drain")
    assert health(client)[0].status_code == 200
    (tmp_path / "drain").touch()
    response, body = health(client)
    assert response.status_code == 503 and body == {"status": "draining"}
    (tmp_path / "drain").unlink()
    assert health(client)[0].status_code == 200
