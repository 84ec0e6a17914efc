"""The database itself keeps the audit ledger and every simple-history table append-only, on
SQLite and PostgreSQL alike; `maintenance()` is the only, explicit and audited, way around it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from iwms import db_guards
from iwms.audit import record_event, verify_chain
from iwms.models import AuditEvent, MaintenanceUse, Organisation
from tests.iwms.conftest import is_postgres

pytestmark = pytest.mark.django_db

HistoricalOrganisation = Organisation.history.model

# (table, model, a text column that may be rewritten)
GUARDED = [
    pytest.param("iwms_auditevent", AuditEvent, "message", id="ledger"),
    pytest.param("iwms_historicalorganisation", HistoricalOrganisation, "history_change_reason", id="history"),
]


def refusal_of(sql: str, params: list | tuple = ()) -> str:
    """Run raw SQL that must be refused; return the database's message."""
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


@pytest.fixture
def rows(chain, tenant):
    """Ledger rows (the chain) and history rows (the tenant created, then renamed)."""
    tenant.name = "Acme Diamonds"
    tenant.save()
    return {AuditEvent: chain[0].pk, HistoricalOrganisation: tenant.history.earliest("history_id").pk}


def stored(model, pk, column):
    return model.objects.filter(pk=pk).values_list(column, flat=True).get()


@pytest.mark.parametrize(("table", "model", "column"), GUARDED)
def test_orm_update_is_refused(rows, table, model, column):
    pk = rows[model]
    before = stored(model, pk, column)
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        model.objects.filter(pk=pk).update(**{column: "rewritten"})
    assert db_guards.APPEND_ONLY_MESSAGE in str(refused.value)
    assert f"UPDATE on {table} is refused" in str(refused.value)
    assert stored(model, pk, column) == before


@pytest.mark.parametrize(("table", "model", "column"), GUARDED)
def test_saving_a_changed_row_is_refused(rows, table, model, column):
    row = model.objects.get(pk=rows[model])
    setattr(row, column, "rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        row.save()
    assert stored(model, row.pk, column) != "rewritten"


@pytest.mark.parametrize(("table", "model", "column"), GUARDED)
def test_orm_delete_is_refused(rows, table, model, column):
    pk = rows[model]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.get(pk=pk).delete()
    assert model.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(("table", "model", "column"), GUARDED)
def test_raw_sql_update_and_delete_are_refused(rows, table, model, column):
    pk = rows[model]
    count = model.objects.count()
    pk_column = model._meta.pk.column
    assert f"UPDATE on {table}" in refusal_of(
        f'UPDATE "{table}" SET "{column}" = %s WHERE "{pk_column}" = %s', ["x", pk]
    )
    assert f"DELETE on {table}" in refusal_of(f'DELETE FROM "{table}" WHERE "{pk_column}" = %s', [pk])
    assert model.objects.count() == count


@pytest.mark.parametrize(("table", "model", "column"), GUARDED)
def test_delete_without_where_is_refused(rows, table, model, column):
    """SQLite's stand-in for TRUNCATE: with triggers on the table it deletes row by row."""
    count = model.objects.count()
    assert "append-only" in refusal_of(f'DELETE FROM "{table}"')
    assert model.objects.count() == count > 0


@pytest.mark.postgres_only(reason="SQLite has no TRUNCATE")
@pytest.mark.django_db(transaction=True)  # TRUNCATE refuses tables with pending FK checks
@pytest.mark.parametrize(("table", "model", "column"), GUARDED)
def test_truncate_is_refused_on_postgres(rows, table, model, column):
    count = model.objects.count()
    assert f"TRUNCATE on {table} is refused" in refusal_of(f'TRUNCATE "{table}"')
    assert model.objects.count() == count > 0


@pytest.mark.postgres_only(reason="SQLite has no TRUNCATE")
@pytest.mark.django_db(transaction=True)
def test_truncate_cascading_from_the_tenant_table_is_refused_on_postgres(chain, rows):
    message = refusal_of("TRUNCATE iwms_organisation CASCADE")
    assert "TRUNCATE on iwms_auditevent is refused" in message
    assert AuditEvent.objects.count() == len(chain)
    assert Organisation.objects.count() == 1


def test_truncate_is_not_a_statement_of_sqlite():
    if is_postgres():
        pytest.skip("PostgreSQL has TRUNCATE; refused in test_truncate_is_refused_on_postgres")
    assert "syntax error" in refusal_of("TRUNCATE iwms_auditevent").lower()


def test_database_roles_are_a_postgresql_matter():
    if is_postgres():
        pytest.skip("tests/iwms/test_database_roles.py covers PostgreSQL")
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("setup_database_roles")


def test_maintenance_on_sqlite_records_its_use(chain, tenant):
    if is_postgres():
        pytest.skip("on PostgreSQL the trigger records each table and operation (test_database_roles.py)")
    with db_guards.maintenance(reason="erasure order 2026-19", tenant=tenant):
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="redacted")
    use = MaintenanceUse.objects.get()
    assert (use.session_role, use.operation, use.reason) == ("sqlite", "MAINTENANCE", "erasure order 2026-19")


def test_inserts_are_still_allowed(tenant):
    record_event(tenant=tenant, action="create")
    tenant.name = "Renamed"
    tenant.save()
    assert AuditEvent.objects.filter(organisation=tenant).count() == 1
    assert tenant.history.count() == 2


def test_every_history_table_and_the_ledger_are_guarded():
    history_tables = {m._meta.db_table for m in apps.get_models() if db_guards.is_history_model(m)}
    assert "iwms_historicalorganisation" in history_tables
    assert "iwms_historicaluser" in history_tables
    assert set(db_guards.append_only_tables()) == history_tables | {"iwms_auditevent", "iwms_maintenanceuse"}
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname IN ('iwms_append_only_row', 'iwms_append_only_truncate')"
            )
            found = {(table, name) for table, name in cursor.fetchall()}
            expected = {
                (table, name)
                for table in db_guards.append_only_tables()
                for name in ("iwms_append_only_row", "iwms_append_only_truncate")
            }
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            found = {(table, name) for table, name in cursor.fetchall()}
            expected = {
                (table, f"iwms_append_only_{op}_{table}")
                for table in db_guards.append_only_tables()
                for op in ("update", "delete")
            }
    assert expected <= found


def test_installing_the_guards_again_changes_nothing(rows):
    db_guards.install()
    db_guards.install()
    assert "append-only" in refusal_of("DELETE FROM iwms_auditevent")


# --- maintenance --------------------------------------------------------------------------


def test_maintenance_lifts_the_guard_and_writes_a_maintenance_event(chain, tenant, rows):
    history_pk = rows[HistoricalOrganisation]
    with db_guards.maintenance(reason="erasure order 2026-17", tenant=tenant, actor="system:dpo"):
        AuditEvent.objects.filter(pk=chain[-1].pk).update(message="redacted")
        HistoricalOrganisation.objects.filter(pk=history_pk).delete()
    assert AuditEvent.objects.get(pk=chain[-1].pk).message == "redacted"
    assert not HistoricalOrganisation.objects.filter(pk=history_pk).exists()
    event = AuditEvent.objects.get(organisation=tenant, action="maintenance")
    assert event.message == "erasure order 2026-17"
    assert (event.actor_kind, event.actor_label) == ("system", "system:dpo")
    assert event.seq == len(chain) + 1  # appended to the tenant's chain, after the changes


def test_the_guard_is_back_after_maintenance(chain, tenant):
    with db_guards.maintenance(reason="erasure order", tenant=tenant):
        pass
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="again")
    assert "append-only" in refusal_of("DELETE FROM iwms_historicalorganisation")


def test_maintenance_that_fails_rolls_back_and_leaves_the_guard_in_place(chain, tenant):
    with pytest.raises(RuntimeError), db_guards.maintenance(reason="erasure order", tenant=tenant):
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="half done")
        raise RuntimeError("operator aborted")
    assert AuditEvent.objects.get(pk=chain[0].pk).message == "item 1"
    assert not AuditEvent.objects.filter(action="maintenance").exists()
    assert "append-only" in refusal_of("DELETE FROM iwms_auditevent")


def test_maintenance_must_name_the_tenant_whose_ledger_records_it(chain):
    with pytest.raises(ValueError, match="name the tenant"), db_guards.maintenance(reason="no tenant"):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == len(chain)


def test_unaudited_maintenance_writes_no_event(chain):
    with db_guards.maintenance(reason="test database reset", audited=False):
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="reset")
    assert not AuditEvent.objects.filter(action="maintenance").exists()
    assert AuditEvent.objects.get(pk=chain[0].pk).message == "reset"


def test_maintenance_rewrite_is_still_caught_by_verification(chain, tenant):
    """Maintenance is audited, not invisible: the redacted event no longer matches its hash."""
    with db_guards.maintenance(reason="erasure order", tenant=tenant):
        AuditEvent.objects.filter(pk=chain[1].pk).update(message="redacted")
    report = verify_chain(tenant)
    assert not report.ok and report.broken.seq == 2


@pytest.mark.postgres_only(reason="SQLite has no TRUNCATE")
@pytest.mark.django_db(transaction=True)
def test_maintenance_allows_truncate_on_postgres(rows, tenant):
    with db_guards.maintenance(reason="history purge order", tenant=tenant), connection.cursor() as cursor:
        cursor.execute("TRUNCATE iwms_historicalorganisation")
    assert HistoricalOrganisation.objects.count() == 0
    assert AuditEvent.objects.filter(action="maintenance", message="history purge order").count() == 1
    assert "append-only" in refusal_of("TRUNCATE iwms_historicalorganisation")
