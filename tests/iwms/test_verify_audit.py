"""`manage.py verify_audit` proves every tenant's chain and names the first broken event when
someone with database superuser rights has rewritten or removed ledger rows."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction

from iwms.audit import chain_hash, event_hash, record_event
from iwms.models import AuditEvent
from tests.iwms.conftest import execute_bypassing_guards

pytestmark = pytest.mark.django_db


def verify(**options) -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, **options)
    return out.getvalue()


def broken(**options) -> tuple[str, str]:
    """Run a verification that must fail; return (error, output)."""
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", stdout=out, **options)
    return str(failure.value), out.getvalue()


@pytest.fixture
def other_chain(other_tenant):
    return [record_event(tenant=other_tenant, action="create", object_id=str(n)) for n in range(3)]


def test_a_clean_ledger_verifies_and_names_each_tenant(chain, other_chain, tenant, other_tenant):
    output = verify()
    assert f"ok      {tenant.slug}: 5 events verified" in output
    assert f"ok      {other_tenant.slug}: 3 events verified" in output
    assert "BROKEN" not in output


def test_a_tenant_without_events_verifies_empty(tenant):
    assert verify(tenant=tenant.slug).splitlines()[0] == f"ok      {tenant.slug}: 0 events verified, no checkpoint yet"


def test_a_rewritten_event_is_named_by_its_seq(chain, tenant):
    execute_bypassing_guards("UPDATE iwms_auditevent SET message = %s WHERE id = %s", ["nothing happened", chain[2].pk])
    assert AuditEvent.objects.get(pk=chain[2].pk).message == "nothing happened"  # the tamper took
    error, output = broken()
    assert error.startswith("audit chain broken: ")
    assert f"tenant {tenant.slug}: event #3 (id {chain[2].pk}): content does not match its hash" in error
    assert f"BROKEN  tenant {tenant.slug}: event #3" in output


def test_tampering_leaves_the_guards_in_place(chain):
    execute_bypassing_guards("UPDATE iwms_auditevent SET message = %s WHERE id = %s", ["x", chain[0].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[1].pk).update(message="y")


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(chain, tenant):
    """Recomputing the forged event's own hash only moves the break to its successor."""
    forged = AuditEvent.objects.get(pk=chain[1].pk)
    forged.message = "nothing happened"
    execute_bypassing_guards(
        "UPDATE iwms_auditevent SET message = %s, hash = %s WHERE id = %s",
        [forged.message, event_hash(forged), forged.pk],
    )
    error, _ = broken(tenant=tenant.slug)
    assert f"event #3 (id {chain[2].pk}): previous hash does not match" in error


def test_a_deleted_middle_event_is_detected(chain, tenant):
    execute_bypassing_guards("DELETE FROM iwms_auditevent WHERE id = %s", [chain[1].pk])
    error, output = broken()
    assert f"tenant {tenant.slug}: position #2: missing; next stored is #3" in error
    assert "BROKEN" in output


def test_a_deleted_tail_is_detected_through_the_chain_head(chain, tenant):
    execute_bypassing_guards("DELETE FROM iwms_auditevent WHERE id = %s", [chain[-1].pk])
    error, _ = broken()
    assert "position #5" in error and "chain head says #5; tail is missing" in error


def test_a_forged_first_event_is_detected(chain, tenant):
    execute_bypassing_guards(
        "UPDATE iwms_auditevent SET prev_hash = %s WHERE id = %s", [chain_hash("f" * 64, 0, ""), chain[0].pk]
    )
    error, _ = broken()
    assert "event #1" in error and "previous hash does not match" in error


def test_tenant_option_verifies_only_that_tenant(chain, other_chain, tenant, other_tenant):
    execute_bypassing_guards("UPDATE iwms_auditevent SET message = %s WHERE id = %s", ["forged", other_chain[0].pk])
    output = verify(tenant=tenant.slug)
    assert output.splitlines()[0] == f"ok      {tenant.slug}: 5 events verified, no checkpoint yet"
    assert other_tenant.slug not in output
    error, _ = broken(tenant=other_tenant.slug)
    assert f"tenant {other_tenant.slug}: event #1" in error


def test_every_tenant_is_reported_even_when_one_is_broken(chain, other_chain, tenant, other_tenant):
    execute_bypassing_guards("UPDATE iwms_auditevent SET message = %s WHERE id = %s", ["forged", chain[4].pk])
    error, output = broken()
    assert f"BROKEN  tenant {tenant.slug}: event #5" in output
    assert f"ok      {other_tenant.slug}: 3 events verified" in output
    assert f"tenant {tenant.slug}: event #5" in error


def test_an_unknown_tenant_is_an_error(chain):
    with pytest.raises(CommandError, match="no tenant with slug 'nope'"):
        verify(tenant="nope")
