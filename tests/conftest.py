"""Project-wide fixtures: the cast of users and the database plumbing for append-only tables."""

from __future__ import annotations

import pytest
from django.db import connections

from iwms import db_guards


@pytest.fixture(scope="session", autouse=True)
def _flush_through_maintenance() -> None:
    """Transactional tests reset the database with TRUNCATE/DELETE, which the append-only
    triggers refuse. Route the reset through the explicit maintenance path (unaudited: the
    whole database is being emptied). Patched on the operations class, because connection
    objects are context-local and Playwright's greenlets see their own."""
    ops_class = type(connections["default"].ops)
    original = ops_class.execute_sql_flush

    def flush(self, sql_list: list[str]) -> None:
        with db_guards.maintenance(reason="test database reset", using=self.connection.alias, audited=False):
            original(self, sql_list)

    ops_class.execute_sql_flush = flush
    yield
    ops_class.execute_sql_flush = original


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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """PBKDF2 at production strength costs ~0.3 s per user; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path) -> None:
    """Evidence files of each test land in its own folder, never in var/."""
    settings.IWMS_EVIDENCE_ROOT = tmp_path / "evidence"


@pytest.fixture(autouse=True)
def _ledger_checkpoints(settings, tmp_path) -> None:
    """Ledger checkpoints, and the key the embedded mode generates for them, of each test live
    in its own folder, never in var/."""
    settings.IWMS_LEDGER_CHECKPOINT_DIR = tmp_path / "ledger-checkpoints"
    settings.IWMS_LEDGER_KEY_GENERATED_PATH = tmp_path / "ledger.key"
