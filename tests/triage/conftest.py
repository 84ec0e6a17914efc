"""The incident fixtures (the demo mine, its people, a fall-of-ground incident) for triage tests."""

from tests.incidents.conftest import fall_of_ground, make_incident, mine, people  # noqa: F401
