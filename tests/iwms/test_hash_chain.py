"""Each tenant's ledger is one hash chain: seq 1, 2, 3… each event naming its predecessor's
hash; concurrent writers queue on the tenant's chain head and never fork it."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connections, transaction

from iwms.audit import GENESIS_HASH, event_hash, record_event, verify_chain
from iwms.models import AuditChainHead, AuditEvent
from iwms.request_context import acting

pytestmark = pytest.mark.django_db


def test_events_get_sequential_seqs_and_link_to_their_predecessor(chain, tenant):
    stored = list(AuditEvent.objects.filter(organisation=tenant).order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == GENESIS_HASH
    for previous, event in itertools.pairwise(stored):
        assert event.prev_hash == previous.hash
    assert len({e.hash for e in stored}) == 5


def test_the_returned_event_is_what_was_stored(chain):
    for returned in chain:
        stored = AuditEvent.objects.get(pk=returned.pk)
        assert (stored.seq, stored.prev_hash, stored.hash) == (returned.seq, returned.prev_hash, returned.hash)
        assert event_hash(stored) == stored.hash  # recomputable from the stored fields alone


def test_chain_head_follows_the_tail(chain, tenant):
    head = AuditChainHead.objects.get(organisation=tenant)
    assert (head.last_seq, head.last_hash, head.prev_hash) == (5, chain[-1].hash, chain[-2].hash)


def test_each_tenant_has_its_own_chain(tenant, other_tenant):
    first = record_event(tenant=tenant, action="create")
    second = record_event(tenant=tenant, action="update")
    elsewhere = record_event(tenant=other_tenant.pk, action="create")
    assert (first.seq, second.seq, elsewhere.seq) == (1, 2, 1)
    assert elsewhere.prev_hash == GENESIS_HASH
    assert verify_chain(tenant).events == 2 and verify_chain(other_tenant).events == 1


def test_an_event_rolled_back_with_its_transaction_leaves_no_gap(chain, tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(tenant=tenant, action="update", message="never happened")
        raise RuntimeError("the governed change failed")
    after = record_event(tenant=tenant, action="update", message="happened")
    assert after.seq == 6 and after.prev_hash == chain[-1].hash
    assert not AuditEvent.objects.filter(message="never happened").exists()
    assert verify_chain(tenant).ok


def test_changes_are_stored_as_plain_json_and_still_verify(tenant):
    from datetime import UTC, datetime
    from decimal import Decimal

    event = record_event(
        tenant=tenant,
        action="update",
        changes={"due_at": [None, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)], "amount": Decimal("1.50"), "n": 3},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.changes == {"due_at": [None, "2026-01-02T03:04:05Z"], "amount": "1.50", "n": 3}
    assert verify_chain(tenant).ok


def test_unknown_action_is_refused_and_writes_nothing(tenant):
    with pytest.raises(ValueError, match="unknown audit action"):
        record_event(tenant=tenant, action="deleted_everything")
    assert not AuditEvent.objects.exists()


def test_the_actor_is_a_user_a_named_component_or_the_current_actor(tenant):
    from tests.factories import UserFactory

    user = UserFactory(organisation=tenant, username="reporter")
    by_user = record_event(tenant=tenant, action="create", actor=user)
    by_component = record_event(tenant=tenant, action="escalate", actor="celery:sla-sweep")
    nobody = record_event(tenant=tenant, action="notify")
    with acting(user, request_id="req-123"):
        in_request = record_event(tenant=tenant, action="read")
    assert (by_user.actor_kind, by_user.actor_id, by_user.actor_label) == ("user", user.pk, "reporter")
    assert (by_component.actor_kind, by_component.actor_id, by_component.actor_label) == (
        "system",
        None,
        "celery:sla-sweep",
    )
    assert (nobody.actor_kind, nobody.actor_label) == ("system", "system")
    assert (in_request.actor_id, in_request.request_id) == (user.pk, "req-123")
    assert verify_chain(tenant).ok


def test_an_object_is_named_by_its_label_and_pk(tenant):
    event = record_event(tenant=tenant, action="update", obj=tenant)
    assert (event.object_type, event.object_id) == ("iwms.organisation", str(tenant.pk))


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(tenant, other_tenant):
    """8 threads, each with its own database connection, append 25 events each to one tenant
    while one more writes to another tenant: seqs 1..200 with no gap or duplicate."""
    writers, per_writer = 8, 25
    errors: list[BaseException] = []
    start = threading.Barrier(writers + 1)

    def write(target, count: int) -> None:
        try:
            start.wait()
            for n in range(count):
                record_event(tenant=target, action="update", object_type="tests.item", object_id=str(n))
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(tenant, per_writer)) for _ in range(writers)]
    threads.append(threading.Thread(target=write, args=(other_tenant, per_writer)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    seqs = list(AuditEvent.objects.filter(organisation=tenant).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, writers * per_writer + 1))
    report = verify_chain(tenant)
    assert report.ok, report.broken
    assert report.events == writers * per_writer
    assert AuditChainHead.objects.get(organisation=tenant).last_seq == writers * per_writer
    assert verify_chain(other_tenant).events == per_writer
