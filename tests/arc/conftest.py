"""Fixtures for ARC tests: the same small mine the organogram tests use."""

from __future__ import annotations

import pytest

from tests.factories import SmallOrg, build_small_org


@pytest.fixture
def org(tenant) -> SmallOrg:
    return build_small_org(tenant)
