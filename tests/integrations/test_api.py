"""The JSON API's contract: token authentication and scopes, one error shape with stable
codes, idempotent creates, per-token rate limits, ETags, pagination and filters on reads, and
another tenant's reference answered as not found."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from arc.choices import Role, TokenScope
from arc.services import grant_role
from arc.tokens import issue_token, revoke_token
from incidents.demo.builder import build_second_tenant
from incidents.integrations.choices import SourceKind
from incidents.integrations.models import SourceEvent
from incidents.integrations.services.sources import register_source
from incidents.models import Category, Incident
from iwms.choices import AuditAction
from iwms.models import AuditEvent, User
from tests.factories import RoleGrantFactory
from tests.integrations.conftest import trigger
from workflows.services.templates import load_template_library

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    assert set(response.json()) == {"error"}, response.json()
    error = response.json()["error"]
    assert set(error) == {"code", "kind", "message", "context"}
    return error


def test_no_token_or_a_bad_token_is_token_invalid(radam):
    anonymous = APIClient().get("/api/v1/incidents/")
    assert anonymous.status_code == 401 and error_of(anonymous)["code"] == "token.invalid"
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Bearer iwms_000000000000_" + "x" * 43)
    assert error_of(forged.get("/api/v1/incidents/"))["code"] == "token.invalid"


def test_a_revoked_token_is_refused_and_audited_on_its_tenant(radam, client_for, admin, mine):
    source, raw = radam
    revoke_token(token=source.account.api_tokens.get(), actor=admin)
    response = client_for(raw).get("/api/v1/incidents/")
    assert response.status_code == 401 and error_of(response)["code"] == "token.invalid"
    assert AuditEvent.objects.filter(
        organisation=mine, action=AuditAction.ACCESS_DENIED, changes__reason="revoked"
    ).exists()


def test_a_token_without_the_scope_is_refused(radam, client_for):
    source, _ = radam
    _, read_only = issue_token(user=source.account, name="reader", scopes=[TokenScope.INCIDENTS_READ])
    response = trigger(client_for(read_only))
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "access_denied" and error["context"]["scope"] == "incidents:write"


def test_an_integration_account_without_a_source_cannot_send_events(mine, client_for):
    other = RoleGrantFactory(organisation=mine, role=Role.INTEGRATION, user__username="bi-tool").user
    _, raw = issue_token(user=other, name="bi", scopes=[TokenScope.INCIDENTS_WRITE])
    response = trigger(client_for(raw))
    assert response.status_code == 403 and error_of(response)["code"] == "access_denied"


def test_malformed_json_and_wrong_methods_keep_the_error_shape(api):
    bad = api.post("/api/v1/events/", "{not json", content_type="application/json")
    assert bad.status_code == 400 and error_of(bad)["code"] == "api.malformed"
    wrong = api.delete("/api/v1/events/")
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "api.method_not_allowed"
    form = api.post("/api/v1/events/", "summary=x", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and error_of(form)["code"] == "api.unsupported_media_type"


def test_the_same_idempotency_key_and_body_replays_the_first_answer(api):
    first = api.post(
        "/api/v1/events/", {"summary": "Fence alarm", "dedup_key": "k1"}, format="json", HTTP_IDEMPOTENCY_KEY="create-1"
    )
    again = api.post(
        "/api/v1/events/", {"summary": "Fence alarm", "dedup_key": "k1"}, format="json", HTTP_IDEMPOTENCY_KEY="create-1"
    )
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert SourceEvent.objects.count() == 1 and Incident.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(api):
    api.post("/api/v1/events/", {"summary": "Fence alarm"}, format="json", HTTP_IDEMPOTENCY_KEY="create-2")
    other = api.post("/api/v1/events/", {"summary": "Gate alarm"}, format="json", HTTP_IDEMPOTENCY_KEY="create-2")
    assert other.status_code == 409 and error_of(other)["code"] == "api.idempotency_conflict"
    assert SourceEvent.objects.count() == 1


def test_a_refused_create_stores_no_answer_so_its_key_can_be_retried(api):
    refused = api.post("/api/v1/events/", {"action": "trigger"}, format="json", HTTP_IDEMPOTENCY_KEY="create-3")
    assert refused.status_code == 422
    fixed = api.post("/api/v1/events/", {"summary": "Fixed"}, format="json", HTTP_IDEMPOTENCY_KEY="create-3")
    assert fixed.status_code == 202


def test_beyond_the_rate_limit_answers_429_with_retry_after(api, settings):
    settings.IWMS_API_RATE_PER_MINUTE = 3
    answers = [api.get("/api/v1/incidents/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert error_of(answers[3])["code"] == "api.rate_limited"
    assert 1 <= int(answers[3]["Retry-After"]) <= 61


def test_the_rate_limit_is_per_token(api, radam, client_for, settings):
    settings.IWMS_API_RATE_PER_MINUTE = 1
    source, _ = radam
    _, second = issue_token(user=source.account, name="second", scopes=[TokenScope.INCIDENTS_READ])
    assert api.get("/api/v1/incidents/").status_code == 200
    assert client_for(second).get("/api/v1/incidents/").status_code == 200
    assert api.get("/api/v1/incidents/").status_code == 429


def test_reads_list_filter_and_paginate_the_sources_incidents(api):
    for key, severity in (("a", "critical"), ("b", "info"), ("c", "info")):
        trigger(api, key, severity=severity)
    listed = api.get("/api/v1/incidents/?page_size=2").json()
    assert listed["count"] == 3 and len(listed["results"]) == 2 and listed["next"]
    only_sev4 = api.get("/api/v1/incidents/?severity=sev4").json()
    assert only_sev4["count"] == 2 and {i["severity"] for i in only_sev4["results"]} == {"sev4"}
    assert api.get("/api/v1/incidents/?severity=nonsense").status_code == 422


def test_detail_timeline_and_steps_of_an_incident(api):
    reference = trigger(api).json()["incident"]
    trigger(api, summary="again")
    detail = api.get(f"/api/v1/incidents/{reference}/")
    assert detail.status_code == 200 and detail.json()["source"] == "radam"
    timeline = api.get(f"/api/v1/incidents/{reference}/timeline/").json()["results"]
    assert [e["seq"] for e in timeline] == sorted(e["seq"] for e in timeline)
    assert any("Occurrence 2" in e["message"] for e in timeline)
    steps = api.get(f"/api/v1/incidents/{reference}/steps/").json()
    assert steps and {"key", "name", "status", "mandatory"} <= set(steps[0])


def test_reads_carry_an_etag_and_answer_304_when_unchanged(api):
    reference = trigger(api).json()["incident"]
    first = api.get(f"/api/v1/incidents/{reference}/")
    tag = first["ETag"]
    assert api.get(f"/api/v1/incidents/{reference}/", HTTP_IF_NONE_MATCH=tag).status_code == 304
    trigger(api, summary="again")  # the timeline grows, so its tag changes
    timeline_tag = api.get(f"/api/v1/incidents/{reference}/timeline/")["ETag"]
    trigger(api, summary="and again")
    assert api.get(f"/api/v1/incidents/{reference}/timeline/", HTTP_IF_NONE_MATCH=timeline_tag).status_code == 200


def test_another_tenants_incident_is_the_same_404_as_none(api, client_for, mine):
    other = build_second_tenant(password="pw-demo-12345")
    boss = User.objects.get(organisation=other, username="karoo.md")
    grant_role(tenant=other, user=boss, role=Role.TENANT_ADMIN)
    load_template_library(tenant=other)
    category = Category.objects.for_tenant(other).filter(is_active=True).first()
    _, raw = register_source(actor=boss, name="Vault sensors", kind=SourceKind.MONITORING_TOOL, category=category)
    foreign = trigger(client_for(raw), "vault").json()["incident"]
    missing = api.get("/api/v1/incidents/INC-1999-999999/")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    for path in (f"/api/v1/incidents/{foreign}/", f"/api/v1/incidents/{foreign}/timeline/"):
        response = api.get(path)
        assert response.status_code == 404 and response.json() == missing.json()
    assert AuditEvent.objects.filter(organisation=mine, action=AuditAction.ACCESS_DENIED, object_id=foreign).exists()


def test_a_source_reads_only_the_incidents_it_reported(api, mine):
    trigger(api)
    assert api.get("/api/v1/incidents/").json()["count"] == Incident.objects.filter(source="radam").count() == 1
    assert Incident.objects.filter(organisation=mine).count() >= 1


def test_the_list_query_count_does_not_grow_with_rows(api):
    trigger(api, "first")
    with CaptureQueriesContext(connection) as one_row:
        api.get("/api/v1/incidents/")
    for n in range(6):
        trigger(api, f"more-{n}")
    with CaptureQueriesContext(connection) as seven_rows:
        assert api.get("/api/v1/incidents/").json()["count"] == 7
    assert len(seven_rows) == len(one_row) <= 12


def test_the_schema_and_offline_docs_are_served(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert "/api/v1/events/" in document["paths"] and document["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in docs.content
