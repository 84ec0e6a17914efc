"""Fixtures for automated intake: the demo mine, a registered RADAM source with its token,
and an API client that sends it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from incidents.demo.builder import build_demo_tenant
from incidents.integrations.choices import SourceKind
from incidents.integrations.services.sources import register_source
from incidents.models import Category
from iwms.models import User
from organogram.models import OrgUnit


@pytest.fixture
def mine(db):
    return build_demo_tenant(password="pw-demo-12345")


@pytest.fixture
def admin(mine):
    return User.objects.get(organisation=mine, username="admin")


@pytest.fixture
def fall_of_ground(mine):
    return Category.objects.get(organisation=mine, code="SAF.GEO.FOG")


@pytest.fixture
def underground(mine):
    return OrgUnit.objects.get(organisation=mine, code="mining-ug")


@pytest.fixture
def radam(admin, fall_of_ground, underground):
    """(source, plain token) of a RADAM source reporting underground falls of ground."""
    return register_source(
        actor=admin, name="RADAM shaft 2", kind=SourceKind.RADAM, category=fall_of_ground, unit=underground
    )


@pytest.fixture
def client_for():
    def make(raw_token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
        return client

    return make


@pytest.fixture
def api(radam, client_for):
    return client_for(radam[1])


def trigger(api: APIClient, key: str = "radam-s2-l8-001", **fields):
    body = {"action": "trigger", "dedup_key": key, "summary": "Seismic event near Shaft 2 level 8", **fields}
    return api.post("/api/v1/events/", body, format="json", **fields.pop("headers", {}))
