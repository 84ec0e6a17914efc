"""The application's PostgreSQL role owns nothing and cannot lift the append-only rule: setting
`iwms.maintenance` gets it nothing, and only a login that is a member of the maintenance role
(or a superuser) can use the bypass, each use recorded by the database. These tests connect as
the real roles (the suite itself runs as the owner/superuser); they create the roles with
`setup_database_roles`, so CI needs no manual step."""

from __future__ import annotations

import json
import secrets
from io import StringIO

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from iwms import db_guards
from iwms.audit import _APPEND_SQL, canonical_payload, verify_chain
from iwms.database_roles import role_problems
from iwms.errors import PolicyError
from iwms.models import AuditEvent, MaintenanceUse
from tests.iwms.conftest import is_postgres

WRITER = "iwms_test_ledger_writer"  # a role with ordinary read/write grants, as in the finding


def connect_as(role: str, password: str) -> psycopg.Connection:
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=role,
        password=password,
        autocommit=True,
    )


@pytest.fixture
def app_password(monkeypatch) -> str:
    """The roles, set up as production does it (the suite's login owns the tables)."""
    password = secrets.token_urlsafe(24)
    monkeypatch.setenv("IWMS_DB_APP_PASSWORD", password)
    out = StringIO()
    call_command("setup_database_roles", stdout=out)
    assert f"{settings.IWMS_DB_APP_ROLE} may read and write data" in out.getvalue()
    return password


@pytest.fixture
def app(app_password):
    with connect_as(settings.IWMS_DB_APP_ROLE, app_password) as conn:
        yield conn


@pytest.fixture
def writer(app_password):
    """A login with UPDATE and DELETE on the ledger: the grants alone must not let it rewrite."""
    password = secrets.token_urlsafe(24)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [WRITER])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {WRITER} LOGIN")
        cursor.execute(f"ALTER ROLE {WRITER} PASSWORD %s", [password])
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {WRITER}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {WRITER}")
    try:
        with connect_as(WRITER, password) as conn:
            yield conn
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REVOKE {settings.IWMS_DB_MAINTENANCE_ROLE} FROM {WRITER}")
            cursor.execute(f"DROP OWNED BY {WRITER}")
            cursor.execute(f"DROP ROLE {WRITER}")


def refused(conn: psycopg.Connection, sql: str, params: list | tuple = ()) -> str:
    with pytest.raises(psycopg.Error) as failure, conn.transaction():
        conn.execute("SET LOCAL iwms.maintenance = 'on'")  # any role may set it; it must not help
        conn.execute(sql, params)
    return str(failure.value)


pytestmark = [
    pytest.mark.postgres_only(reason="database roles"),
    pytest.mark.django_db(transaction=True),  # other connections must see the rows
]


def test_the_application_role_cannot_enable_the_bypass_nor_rewrite_the_ledger(chain, tenant, app):
    target = chain[2].pk
    for sql in (
        "UPDATE iwms_auditevent SET message = 'nothing happened' WHERE id = %s",
        "DELETE FROM iwms_auditevent WHERE id = %s",
    ):
        assert "permission denied for table iwms_auditevent" in refused(app, sql, [target])
    assert "permission denied" in refused(app, "TRUNCATE iwms_auditevent CASCADE")
    assert "permission denied" in refused(app, "UPDATE iwms_historicalorganisation SET history_change_reason = 'x'")
    assert "permission denied" in refused(
        app,
        "INSERT INTO iwms_maintenanceuse (created_at, session_role, table_name, operation, reason) "
        "VALUES (now(), 'someone', '', 'x', 'a false alibi')",
    )
    # Nor can it take the owner's powers over the guards themselves.
    assert "must be owner" in refused(app, "ALTER TABLE iwms_auditevent DISABLE TRIGGER iwms_append_only_row")
    assert "permission denied" in refused(app, "SET session_replication_role = replica")
    assert AuditEvent.objects.get(pk=target).message == "item 3"
    assert verify_chain(tenant).ok


def test_the_application_role_appends_to_the_ledger_and_is_reported_clean(chain, tenant, app):
    """Its grants are enough for its work: the one-statement append it runs on every event."""
    from django.utils import timezone

    fields = {
        "actor_kind": "system",
        "actor_id": None,
        "actor_label": "system",
        "action": "create",
        "object_type": "tests.item",
        "object_id": "6",
        "message": "item 6",
        "changes": {},
        "request_id": "",
        "created_at": timezone.now(),
    }
    params = {**fields, "tenant": tenant.pk, "changes": json.dumps({})}
    params["payload"] = canonical_payload(tenant_id=tenant.pk, **fields)
    with app.transaction():
        (event_id, seq, _, _) = app.execute(_APPEND_SQL, params).fetchone()
    assert seq == 6 and AuditEvent.objects.get(pk=event_id).message == "item 6"
    assert verify_chain(tenant).ok
    row = app.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").fetchone()
    assert row == (False,)
    assert role_problems() != []  # the suite's own login (a superuser) would be reported


def test_ordinary_write_grants_and_the_setting_do_not_lift_the_rule(chain, writer):
    message = refused(writer, "UPDATE iwms_auditevent SET message = 'forged' WHERE id = %s", [chain[0].pk])
    assert f"the maintenance bypass needs membership of the role {settings.IWMS_DB_MAINTENANCE_ROLE}" in message
    assert "needs membership" in refused(writer, "DELETE FROM iwms_auditevent WHERE id = %s", [chain[0].pk])
    assert AuditEvent.objects.get(pk=chain[0].pk).message == "item 1"
    assert not MaintenanceUse.objects.exists()


def test_a_member_of_the_maintenance_role_may_and_each_use_is_recorded(chain, tenant, writer):
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT {settings.IWMS_DB_MAINTENANCE_ROLE} TO {WRITER}")
    with writer.transaction():
        writer.execute("SELECT set_config('iwms.maintenance_reason', 'erasure order 2026-17', true)")
        writer.execute("SET LOCAL iwms.maintenance = 'on'")
        writer.execute(
            "UPDATE iwms_auditevent SET message = 'redacted' WHERE id = ANY(%s)", [[chain[0].pk, chain[1].pk]]
        )
    assert AuditEvent.objects.get(pk=chain[0].pk).message == "redacted"
    (use,) = MaintenanceUse.objects.all()
    assert (use.session_role, use.table_name, use.operation) == (WRITER, "iwms_auditevent", "UPDATE")
    assert use.reason == "erasure order 2026-17" and use.transaction_id
    assert not verify_chain(tenant).ok  # recorded, and still visible to verification
    # The record is append-only like the ledger, for the member too outside the bypass.
    with pytest.raises(psycopg.Error, match="append-only"), writer.transaction():
        writer.execute("DELETE FROM iwms_maintenanceuse")


def test_maintenance_through_the_application_is_recorded_per_table_and_operation(chain, tenant):
    with db_guards.maintenance(reason="erasure order 2026-18", tenant=tenant, actor="system:dpo"):
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="redacted")
        AuditEvent.objects.filter(pk=chain[1].pk).update(message="redacted")
        Organisation = tenant.history.model
        Organisation.objects.filter(id=tenant.pk).delete()
    uses = sorted(MaintenanceUse.objects.values_list("table_name", "operation", "reason"))
    assert uses == [
        ("iwms_auditevent", "UPDATE", "erasure order 2026-18"),
        ("iwms_historicalorganisation", "DELETE", "erasure order 2026-18"),
    ]
    assert AuditEvent.objects.filter(action="maintenance", message="erasure order 2026-18").exists()


def test_maintenance_refuses_a_login_outside_the_maintenance_role(chain, tenant, app_password, monkeypatch):
    monkeypatch.setattr(db_guards, "may_maintain", lambda using="default": False)
    with pytest.raises(PolicyError) as refusal, db_guards.maintenance(reason="erasure", tenant=tenant):
        AuditEvent.objects.all().delete()
    assert refusal.value.code == "audit.maintenance_forbidden"
    assert AuditEvent.objects.count() == len(chain)


def test_may_maintain_asks_the_database_about_the_session_login(app_password):
    assert is_postgres() and db_guards.may_maintain()  # the suite runs as a superuser
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL SESSION AUTHORIZATION {settings.IWMS_DB_APP_ROLE}")
        assert not db_guards.may_maintain()
        assert [p for p in role_problems() if "superuser" in p or "owns" in p] == []


def test_migrate_and_setup_connect_with_the_owner_url(settings, app_password):
    user = connection.settings_dict["USER"]
    name = connection.settings_dict["NAME"]
    settings.DATABASE_OWNER_URL = f"postgres://{user}@127.0.0.1:5432/ignored_name"
    out = StringIO()
    call_command("setup_database_roles", stdout=out)
    assert "Connecting as the owner (DATABASE_OWNER_URL)." in out.getvalue()
    assert connection.settings_dict["NAME"] == name  # credentials from the URL, same database
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == name
