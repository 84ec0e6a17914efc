"""Signed checkpoints anchor each tenant's chain outside the database: a perfect re-chaining (a
rewritten event, every later hash and the chain head recomputed, as a database superuser can)
verifies as a chain but no longer matches what was signed, and `verify_audit` names the event.
A forged checkpoint is reported too."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from iwms.audit import record_event, verify_chain
from iwms.ledger_checkpoints import Checkpoint, CheckpointStore, checkpoint_ledger, key_id, ledger_key
from iwms.models import AuditEvent
from iwms.tasks import checkpoint_ledger as checkpoint_task
from tests.iwms.conftest import execute_bypassing_guards, rechain_rewriting

pytestmark = pytest.mark.django_db


def run(command: str, **options) -> str:
    out = StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


def failing(command: str, **options) -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(command, stdout=out, **options)
    return str(failure.value), out.getvalue()


def stored_lines(settings) -> list[dict]:
    path = settings.IWMS_LEDGER_CHECKPOINT_DIR / "checkpoints.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def more_events(tenant, count: int) -> list[AuditEvent]:
    return [record_event(tenant=tenant, action="create", object_id=f"more-{n}") for n in range(count)]


# --- writing -----------------------------------------------------------------------------------


def test_a_checkpoint_names_tenant_last_event_hash_count_time_and_mac(chain, tenant, settings):
    output = run("checkpoint_ledger")
    assert f"signed  {tenant.slug}: event #5 (id {chain[-1].pk}) {chain[-1].hash}" in output
    (line,) = stored_lines(settings)
    assert line["tenant"] == tenant.slug and line["tenant_id"] == tenant.pk
    assert (line["seq"], line["event_id"], line["hash"], line["count"]) == (5, chain[-1].pk, chain[-1].hash, 5)
    assert line["created_at"] and len(line["mac"]) == 64
    assert Checkpoint(**line).mac_valid(ledger_key())
    assert not Checkpoint(**{**line, "count": 6}).mac_valid(ledger_key())  # the MAC covers every field


def test_only_chains_that_moved_are_checkpointed_again(chain, tenant, other_tenant, settings):
    checkpoint_ledger()
    assert "same    acme: no event since the last checkpoint" in run("checkpoint_ledger")
    more_events(tenant, 2)
    record_event(tenant=other_tenant, action="create")
    run("checkpoint_ledger")
    assert [(line["tenant"], line["seq"]) for line in stored_lines(settings)] == [
        ("acme", 5),
        ("acme", 7),
        ("other", 1),
    ]


def test_beat_writes_checkpoints_on_a_schedule(chain, tenant, settings):
    task = PeriodicTask.objects.select_related("interval").get(name="ledger-checkpoint")
    assert task.task == "iwms.tasks.checkpoint_ledger" and task.enabled
    assert (task.interval.every, task.interval.period) == (settings.IWMS_LEDGER_CHECKPOINT_INTERVAL_SECONDS, "seconds")
    assert checkpoint_task.delay().get() == 1
    assert [line["seq"] for line in stored_lines(settings)] == [5]


def test_a_rewrite_of_signed_events_is_never_signed_over(chain, tenant, settings):
    checkpoint_ledger()
    rechain_rewriting(tenant, 4, "nothing happened")
    more_events(tenant, 3)
    assert verify_chain(tenant).ok  # the chain alone cannot tell
    error, output = failing("checkpoint_ledger")
    assert (
        f"REFUSED tenant {tenant.slug}: event #5 (id {chain[4].pk}): no longer has the hash of the last checkpoint"
        in (output)
    )
    assert "not signed" in error
    assert [line["seq"] for line in stored_lines(settings)] == [5]


def test_events_since_the_last_checkpoint_are_walked_before_signing(chain, tenant, settings):
    checkpoint_ledger()
    more_events(tenant, 3)
    execute_bypassing_guards(
        "UPDATE iwms_auditevent SET message = %s WHERE seq = 7 AND organisation_id = %s", ["x", tenant.pk]
    )
    error, _output = failing("checkpoint_ledger")
    assert "event #7" in error and "content does not match its hash" in error
    assert [line["seq"] for line in stored_lines(settings)] == [5]


# --- verifying ---------------------------------------------------------------------------------


def test_verify_audit_checks_the_chain_and_every_checkpoint(chain, tenant, other_tenant):
    checkpoint_ledger()
    more_events(tenant, 2)
    checkpoint_ledger()
    output = run("verify_audit")
    assert f"ok      {tenant.slug}: 7 events verified, 2 checkpoints match" in output
    assert f"ok      {other_tenant.slug}: 0 events verified, no checkpoint yet" in output


def test_since_the_checkpoint_only_the_events_appended_after_it_are_walked(chain, tenant):
    checkpoint_ledger()  # signs #5
    more_events(tenant, 4)
    output = run("verify_audit", tenant=tenant.slug, since_checkpoint=True)
    assert f"ok      {tenant.slug}: 4 events since checkpoint #5 verified, 1 checkpoint match" in output
    tail = AuditEvent.objects.get(organisation=tenant, seq=8)
    execute_bypassing_guards("UPDATE iwms_auditevent SET message = 'forged' WHERE id = %s", [tail.pk])
    error, _ = failing("verify_audit", tenant=tenant.slug, since_checkpoint=True)
    assert f"event #8 (id {tail.pk}): content does not match its hash" in error


def test_since_the_checkpoint_a_rechaining_before_it_is_still_named(chain, tenant):
    checkpoint_ledger()  # signs #5
    more_events(tenant, 2)
    rechain_rewriting(tenant, 3, "forged")  # every hash from #3 on recomputed, the head too
    error, _ = failing("verify_audit", tenant=tenant.slug, since_checkpoint=True)
    assert "event #5" in error and "no longer matches the checkpoint" in error


def test_a_perfect_rechaining_of_a_checkpointed_event_is_named(chain, tenant):
    checkpoint_ledger()  # signs #5
    more_events(tenant, 3)
    checkpoint_ledger()  # signs #8
    rechain_rewriting(tenant, 5, "the shaft inspection was done")
    assert verify_chain(tenant).ok  # hashes, links and chain head all agree again
    error, output = failing("verify_audit")
    assert f"tenant {tenant.slug}: event #5 (id {chain[4].pk}): no longer matches the checkpoint" in error
    assert f"BROKEN  tenant {tenant.slug}: event #5 (id {chain[4].pk})" in output
    assert "the change lies in events #1..#5" in output
    assert "also tenant acme: event #8" in output  # every later checkpoint fails too


def test_a_rechaining_between_checkpoints_is_narrowed_to_the_events_since_the_last_match(chain, tenant):
    checkpoint_ledger()  # #5
    more_events(tenant, 3)
    checkpoint_ledger()  # #8
    rechain_rewriting(tenant, 7, "forged")
    error, output = failing("verify_audit", tenant=tenant.slug)
    assert "event #8" in error and "no longer matches the checkpoint" in error
    assert "the change lies in events #6..#8 (#5 still matches)" in output


def test_a_forged_checkpoint_is_reported(chain, tenant, settings):
    checkpoint_ledger()
    genuine = stored_lines(settings)[0]
    forged = Checkpoint(**{**genuine, "seq": 4, "event_id": chain[3].pk, "hash": chain[3].hash, "count": 4})
    CheckpointStore().append([forged])  # the old MAC, over other fields
    error, _output = failing("verify_audit")
    assert f"tenant {tenant.slug}: event #4 (id {chain[3].pk}): the checkpoint's MAC does not match" in error
    assert "(checkpoint line 2)" in error


def test_a_checkpoint_signed_with_another_key_names_that_key(chain, tenant, settings):
    other_key = b"k" * 40
    body = Checkpoint(
        tenant_id=tenant.pk,
        tenant=tenant.slug,
        seq=5,
        event_id=chain[4].pk,
        hash=chain[4].hash,
        count=5,
        created_at="2026-12-04T10:00:00+00:00",
        key_id=key_id(other_key),
    )
    CheckpointStore().append([body.signed(other_key)])
    error, _ = failing("verify_audit")
    assert f"or signed with another key (key id {key_id(other_key)})" in error


def test_a_forged_checkpoint_of_a_tenant_that_never_existed_is_reported(chain, tenant):
    checkpoint_ledger()
    line = json.loads(CheckpointStore().path.read_text())
    CheckpointStore().append([Checkpoint(**{**line, "tenant_id": 999999, "tenant": "ghost"})])
    error, output = failing("verify_audit")
    assert "BROKEN  tenant ghost: event #5" in output and "MAC does not match" in error
    assert f"ok      {tenant.slug}: 5 events verified, 1 checkpoint match" in output


def test_a_line_that_is_no_checkpoint_is_reported(chain, settings):
    checkpoint_ledger()
    with (settings.IWMS_LEDGER_CHECKPOINT_DIR / "checkpoints.jsonl").open("a") as handle:
        handle.write('{"tenant": "acme", "hash": "f00"}\n')
    error, _output = failing("verify_audit")
    assert "checkpoint store: not a checkpoint" in error and "(checkpoint line 2)" in error


def test_a_deleted_checkpointed_tail_is_reported_missing(chain, tenant):
    checkpoint_ledger()
    execute_bypassing_guards("DELETE FROM iwms_auditevent WHERE id = %s", [chain[4].pk])
    execute_bypassing_guards(
        "UPDATE iwms_auditchainhead SET last_seq = 4, last_hash = %s WHERE organisation_id = %s",
        [chain[3].hash, tenant.pk],
    )
    assert verify_chain(tenant).ok
    error, _ = failing("verify_audit")
    assert f"event #5 (id {chain[4].pk}): missing; it was checkpointed at" in error


# --- the key -------------------------------------------------------------------------------------


def test_the_embedded_mode_generates_a_private_key_file_once(settings):
    settings.IWMS_LEDGER_KEY = ""
    key = ledger_key()
    path = settings.IWMS_LEDGER_KEY_GENERATED_PATH
    assert path.read_text().strip().encode() == key and len(key) == 64
    assert path.stat().st_mode & 0o777 == 0o600
    assert ledger_key() == key


def test_outside_the_embedded_mode_the_key_must_come_from_the_environment(settings):
    settings.EMBEDDED = False
    settings.IWMS_LEDGER_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="IWMS_LEDGER_KEY"):
        ledger_key()
    assert not settings.IWMS_LEDGER_KEY_GENERATED_PATH.exists()
    settings.IWMS_LEDGER_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        ledger_key()
    settings.IWMS_LEDGER_KEY = "x" * 32
    assert ledger_key() == b"x" * 32


def test_verify_audit_without_a_key_fails_instead_of_skipping_the_checkpoints(chain, settings):
    checkpoint_ledger()
    settings.EMBEDDED = False
    settings.IWMS_LEDGER_KEY = ""
    error, _ = failing("verify_audit")
    assert error.startswith("checkpoints cannot be verified: IWMS_LEDGER_KEY")


@pytest.mark.postgres_only(reason="a superuser rewriting the ledger with the triggers disabled")
def test_a_superuser_rechaining_a_checkpointed_event_on_postgres_is_named(chain, tenant):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user")
        assert cursor.fetchone()[0], "this test forges as a database superuser"
    checkpoint_ledger()
    more_events(tenant, 2)
    checkpoint_ledger()
    rechain_rewriting(tenant, 5, "no fall of ground")
    assert verify_chain(tenant).ok
    assert AuditEvent.objects.get(pk=chain[4].pk).message == "no fall of ground"
    error, _ = failing("verify_audit")
    assert f"tenant {tenant.slug}: event #5 (id {chain[4].pk}): no longer matches the checkpoint" in error
