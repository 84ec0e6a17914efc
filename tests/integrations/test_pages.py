"""The tenant admin's integrations pages: registering a source shows its token once, rules
are added with errors next to their field, events and deliveries are listed within a fixed
query budget, and nobody else gets in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arc.tokens import authenticate_token
from incidents.integrations.models import MappingRule, Source, WebhookEndpoint
from incidents.integrations.services import webhooks
from iwms.models import User
from tests.integrations.conftest import trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_registering_a_source_shows_a_working_token_once(admin_client, fall_of_ground, underground):
    response = admin_client.post(
        "/manage/integrations/",
        {
            "name": "RTAC control room",
            "kind": "rtac",
            "category": fall_of_ground.pk,
            "incident_kind": "incident",
            "unit": underground.pk,
        },
    )
    assert response.status_code == 200
    raw = response.context["new_token"]
    source = Source.objects.get(slug="rtac-control-room")
    assert authenticate_token(raw)[0] == source.account
    assert raw.encode() in response.content
    again = admin_client.get(f"/manage/integrations/sources/{source.pk}/")
    assert raw.encode() not in again.content and b"iwms_" in again.content


def test_a_source_form_error_sits_next_to_its_field(admin_client, radam, fall_of_ground):
    response = admin_client.post(
        "/manage/integrations/",
        {"name": "RADAM shaft 2", "kind": "radam", "category": fall_of_ground.pk, "incident_kind": "incident"},
    )
    assert response.status_code == 422
    assert "exists already" in str(response.context["form"].errors)


def test_adding_a_rule_and_a_bad_rule(admin_client, radam):
    source, _ = radam
    url = f"/manage/integrations/sources/{source.pk}/"
    added = admin_client.post(
        url,
        {
            "action": "rule",
            "order": 5,
            "match_event_type": "rockburst",
            "threshold_count": 3,
            "threshold_window_seconds": 300,
        },
    )
    assert added.status_code == 302
    assert MappingRule.objects.get(source=source).threshold_count == 3
    bad = admin_client.post(
        url,
        {"action": "rule", "order": 6, "match_field": "zone", "threshold_count": 1, "threshold_window_seconds": 300},
    )
    assert bad.status_code == 422
    assert "match_value" in bad.context["rule_form"].errors


def test_the_source_page_lists_events_within_a_fixed_query_budget(admin_client, radam, api):
    source, _ = radam
    url = f"/manage/integrations/sources/{source.pk}/"
    trigger(api, "first")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for n in range(8):
        trigger(api, f"k{n}")
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert response.content.count(b"INC-") >= 9
    assert len(many) == len(few)


def test_the_sources_list_query_budget_does_not_grow(admin_client, radam, admin, fall_of_ground):
    from incidents.integrations.services.sources import register_source

    with CaptureQueriesContext(connection) as one:
        admin_client.get("/manage/integrations/")
    for n in range(4):
        register_source(actor=admin, name=f"Camera {n}", kind="surveillance_t1", category=fall_of_ground)
    with CaptureQueriesContext(connection) as five:
        assert admin_client.get("/manage/integrations/").content.count(b"/manage/integrations/sources/") == 5
    assert len(five) == len(one)


def test_subscribing_a_webhook_shows_its_secret_once_and_deliveries_are_listed(admin_client, mine, admin):
    response = admin_client.post(
        "/manage/integrations/webhooks/",
        {"action": "subscribe", "url": "https://hooks.example.org/iwms", "event_types": ["incident.created"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200 and endpoint.secret.encode() in response.content
    for _ in range(3):
        webhooks.emit(tenant=mine, event_type="incident.created", data={})
    with CaptureQueriesContext(connection) as three:
        admin_client.get("/manage/integrations/webhooks/")
    for _ in range(5):
        webhooks.emit(tenant=mine, event_type="incident.created", data={})
    with CaptureQueriesContext(connection) as eight:
        page = admin_client.get("/manage/integrations/webhooks/")
    assert endpoint.secret.encode() not in page.content and page.content.count(b"Re-send") == 8
    assert len(eight) == len(three)


def test_disable_and_resend_from_the_page(admin_client, mine, admin):
    endpoint = webhooks.subscribe(
        tenant=mine, url="https://hooks.example.org/a", event_types=["incident.created"], actor=admin
    )
    [delivery_id] = webhooks.emit(tenant=mine, event_type="incident.created", data={})
    admin_client.post("/manage/integrations/webhooks/", {"action": "resend", "delivery": delivery_id})
    assert endpoint.deliveries.count() == 2
    admin_client.post("/manage/integrations/webhooks/", {"action": "disable", "endpoint": endpoint.pk})
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_only_tenant_admins_manage_integrations(client, mine, radam):
    source, _ = radam
    client.force_login(User.objects.get(organisation=mine, username="responsible"))
    assert client.get("/manage/integrations/").status_code == 403
    assert client.get(f"/manage/integrations/sources/{source.pk}/").status_code == 403


def test_an_unknown_source_is_not_found(admin_client):
    assert admin_client.get("/manage/integrations/sources/999999/").status_code == 404
