"""Fixtures for problem tests: the demo mine, its people and incidents (from the incident tests)."""

from __future__ import annotations

import pytest

from incidents.problems.services.raising import raise_problem
from tests.incidents import conftest as incident_fixtures

# The incident tests' fixtures, shared: the demo mine, its people and a fall-of-ground incident.
mine = incident_fixtures.mine
people = incident_fixtures.people
fall_of_ground = incident_fixtures.fall_of_ground
make_incident = incident_fixtures.make_incident

ROCKFALL = dict(
    title="Hanging wall slabs falling on level 8 after blasting",
    description="Slabs keep falling from the hanging wall near the loading box on level 8 after each blast; "
    "the support pattern there may not match the ground conditions.",
    detection_source="incident_trend",
)


@pytest.fixture
def raise_one(people, fall_of_ground):
    def make(actor=None, **overrides):
        fields = dict(ROCKFALL, category=fall_of_ground, **overrides)
        return raise_problem(actor=actor or people["responsible"], **fields)

    return make
