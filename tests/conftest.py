"""Project-wide fixtures: the cast of users and the database plumbing for append-only tables."""

from __future__ import annotations

import pytest
from django.db import connections

from iwms import db_guards


@pytest.fixture(scope="session", autouse=True)
def _flush_through_maintenance() -> None:
    """Transactional tests reset the database with TRUNCATE/DELETE, which the append-only
    triggers refuse. Route the reset through the explicit maintenance path (unaudited: the
    whole database is being emptied)."""
    patched = []
    for connection in connections.all():
        ops = connection.ops
        original = ops.execute_sql_flush

        def flush(sql_list: list[str], _original=original, _alias=connection.alias) -> None:
            with db_guards.maintenance(reason="test database reset", using=_alias, audited=False):
                _original(sql_list)

        ops.execute_sql_flush = flush
        patched.append((ops, original))
    yield
    for ops, original in patched:
        ops.execute_sql_flush = original


def is_postgres() -> bool:
    return connections["default"].vendor == "postgresql"


@pytest.fixture
def tenant(db):
    from tests.factories import OrganisationFactory

    return OrganisationFactory(slug="acme", name="Acme Mining")


@pytest.fixture
def other_tenant(db):
    from tests.factories import OrganisationFactory

    return OrganisationFactory(slug="other", name="Other Holdings")
