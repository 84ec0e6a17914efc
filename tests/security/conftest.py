"""Fixtures for the security hardening tests: people of one tenant and signing in through the
real login page (never `force_login`, which would skip what is under test)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory, build_small_org
from tests.factories.kernel import TEST_PASSWORD


def sign_in(client: Client, username: str, password: str = TEST_PASSWORD, **extra: str):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


@pytest.fixture
def person(tenant):
    return UserFactory(organisation=tenant, username="thabo")


@pytest.fixture
def org(tenant):
    return build_small_org(tenant)
