"""Fixtures for organogram tests: a small mine built through the organogram services."""

from __future__ import annotations

import pytest

from tests.factories import SmallOrg, build_small_org


@pytest.fixture
def org(tenant) -> SmallOrg:
    return build_small_org(tenant)
