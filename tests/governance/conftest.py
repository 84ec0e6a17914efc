"""Fixtures for organogram governance tests: the demo mine (tests/incidents/conftest.py)."""

from tests.incidents.conftest import fall_of_ground, make_incident, mine, people  # noqa: F401
