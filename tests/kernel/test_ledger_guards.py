"""The database itself refuses to rewrite the ledger and history, on every engine; the
maintenance path is the only, audited, way around it; verify_audit catches tampering."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from iwms import db_guards
from iwms.audit import record_event, verify_chain
from iwms.models import AuditEvent, Organisation
from tests.conftest import is_postgres

pytestmark = pytest.mark.django_db

HISTORY_TABLE = "iwms_historicalorganisation"


def refused(sql: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    return str(error.value)


@pytest.fixture
def chain(tenant):
    return [record_event(tenant=tenant, action="create", object_type="t.item", object_id=str(n)) for n in range(5)]


def test_ledger_refuses_update_through_the_orm(chain):
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="rewritten")
    assert "append-only" in str(error.value)
    assert AuditEvent.objects.get(pk=chain[0].pk).message == ""


def test_ledger_refuses_delete_through_the_orm(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).delete()
    assert AuditEvent.objects.filter(pk=chain[0].pk).exists()


@pytest.mark.parametrize("table", ["iwms_auditevent", HISTORY_TABLE])
def test_raw_update_and_delete_are_refused(chain, table):
    assert "append-only" in refused(
        f"UPDATE {table} SET history_change_reason = 'x'"
        if table == HISTORY_TABLE
        else f"UPDATE {table} SET message = 'x'"
    )
    assert "append-only" in refused(f"DELETE FROM {table}")


@pytest.mark.django_db(transaction=True)  # TRUNCATE needs committed rows (no pending FK checks)
def test_truncate_is_refused(chain):
    if not is_postgres():
        pytest.skip("SQLite has no TRUNCATE; its DELETE FROM without WHERE is refused above")
    assert "append-only" in refused("TRUNCATE iwms_auditevent")
    assert "append-only" in refused(f"TRUNCATE {HISTORY_TABLE}")
    assert AuditEvent.objects.count() == 5


def test_history_rows_are_written_for_governed_models(tenant):
    tenant.name = "Acme Diamonds"
    tenant.save()
    assert [h.name for h in tenant.history.order_by("history_id")] == ["Acme Mining", "Acme Diamonds"]


def test_maintenance_path_lifts_the_guard_and_is_audited(chain, tenant):
    with db_guards.maintenance(reason="erasure order 2026-17", tenant=tenant, actor="system:dpo"):
        AuditEvent.objects.filter(pk=chain[-1].pk).update(message="redacted")
    assert AuditEvent.objects.get(pk=chain[-1].pk).message == "redacted"
    maintenance = AuditEvent.objects.get(organisation=tenant, action="maintenance")
    assert maintenance.message == "erasure order 2026-17"
    # the guard is back after the block
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).update(message="again")


def tamper(sql: str, params: list) -> None:
    """Bypass the triggers as a database superuser would."""
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
        else:
            for table in db_guards.append_only_tables():
                for statement in db_guards._sqlite_drop_append_only(table):
                    cursor.execute(statement)
            cursor.execute(sql, params)
            db_guards.install()


def test_verify_audit_passes_on_an_intact_chain(chain, tenant):
    out = StringIO()
    call_command("verify_audit", tenant=tenant.slug, stdout=out)
    assert f"ok      {tenant.slug}: 5 events verified" in out.getvalue()


def test_verify_audit_names_the_first_tampered_event(chain, tenant):
    tamper("UPDATE iwms_auditevent SET message = %s WHERE id = %s", ["nothing happened", chain[2].pk])
    with pytest.raises(CommandError) as broken:
        call_command("verify_audit", stdout=StringIO())
    assert "event #3" in str(broken.value)
    assert "content does not match its hash" in str(broken.value)


def test_verify_audit_detects_a_deleted_event(chain, tenant):
    tamper("DELETE FROM iwms_auditevent WHERE id = %s", [chain[1].pk])
    report = verify_chain(tenant)
    assert not report.ok
    assert report.broken.seq == 2 and "missing" in report.broken.reason


def test_verify_audit_detects_a_truncated_tail(chain, tenant):
    tamper("DELETE FROM iwms_auditevent WHERE id = %s", [chain[-1].pk])
    report = verify_chain(tenant)
    assert not report.ok and "tail is missing" in report.broken.reason


def test_verify_audit_rejects_an_unknown_tenant(chain):
    with pytest.raises(CommandError, match="no tenant"):
        call_command("verify_audit", tenant="nope", stdout=StringIO())


def test_each_tenant_has_its_own_chain(tenant, other_tenant):
    a = record_event(tenant=tenant, action="create")
    b = record_event(tenant=other_tenant, action="create")
    assert a.seq == b.seq == 1
    assert verify_chain(tenant).ok and verify_chain(other_tenant).ok
    assert Organisation.objects.count() == 2


def test_large_floats_in_changes_keep_the_chain_verifiable(tenant):
    record_event(tenant=tenant, action="update", changes={"carats": 1e16, "ratio": 0.25, "tiny": 1e-05})
    assert verify_chain(tenant).ok


def test_a_forged_tail_rewrite_is_caught_by_the_chain_head(chain, tenant):
    """Recomputing the last event's hash after editing it passes the walk; the head disagrees."""
    from iwms.audit import event_hash

    last = AuditEvent.objects.get(pk=chain[-1].pk)
    last.message = "rewritten"
    forged = event_hash(last)
    tamper("UPDATE iwms_auditevent SET message = %s, hash = %s WHERE id = %s", ["rewritten", forged, last.pk])
    report = verify_chain(tenant)
    assert not report.ok and "chain head" in report.broken.reason
