"""The anchors stay put on every path a person can reach: the admin shows them read-only and
ignores a posted change; the services and the database refuse (see test_lifecycle)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models.incident import ANCHOR_FIELDS


@pytest.fixture
def platform_client(client, mine):
    from incidents.demo.builder import build_platform_admin

    client.force_login(build_platform_admin(password="pw-platform-123"))
    return client


def test_admin_offers_no_input_for_any_anchor(platform_client, make_incident):
    incident = make_incident()
    page = platform_client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    for field in ANCHOR_FIELDS:
        assert f'name="{field}"' not in page, field


def test_admin_post_cannot_move_an_anchor(platform_client, make_incident, people):
    incident = make_incident()
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    platform_client.post(url, {"owner": people["reporter"].pk, "source": "radam", "title": incident.title})
    incident.refresh_from_db()
    assert incident.owner == people["depthead"] and incident.source == "manual"
