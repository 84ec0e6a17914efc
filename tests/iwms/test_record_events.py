"""`record_events`: many ledger events under one lock of the chain head, hashed exactly as
`record_event` hashes them, so the chain proves itself whichever way events were appended."""

from __future__ import annotations

import pytest

from iwms.audit import Entry, record_event, record_events, verify_chain
from iwms.models import AuditChainHead, AuditEvent


def test_bulk_and_single_appends_interleave_into_one_verifiable_chain(tenant):
    record_event(tenant=tenant, action="create", object_type="tests.item", object_id="1", message="first")
    appended = record_events(
        tenant=tenant,
        entries=[
            Entry(action="update", object_type="tests.item", object_id="1", message="second", changes={"n": 1.5}),
            Entry(action="notify", object_type="tests.item", object_id="2", actor="system:test", changes={"big": 1e16}),
            Entry(action="escalate", object_type="tests.item", object_id="3", message="ünïcode ✓"),
        ],
    )
    record_event(tenant=tenant, action="close", object_type="tests.item", object_id="1", message="last")
    assert appended == 3
    events = list(AuditEvent.objects.filter(organisation=tenant).order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.action for e in events] == ["create", "update", "notify", "escalate", "close"]
    assert events[2].actor_label == "system:test" and events[2].changes == {"big": 10**16}
    assert AuditChainHead.objects.get(organisation=tenant).last_hash == events[-1].hash
    assert verify_chain(tenant).ok


def test_a_single_entry_goes_through_record_event(tenant):
    assert record_events(tenant=tenant, entries=[Entry(action="read", object_type="tests.item", object_id="9")]) == 1
    assert record_events(tenant=tenant, entries=[]) == 0
    assert verify_chain(tenant).ok and AuditEvent.objects.filter(organisation=tenant).count() == 1


def test_an_unknown_action_appends_nothing(tenant):
    with pytest.raises(ValueError, match="unknown audit action"):
        record_events(
            tenant=tenant,
            entries=[Entry(action="create", object_type="t", object_id="1"), Entry(action="shred", object_type="t")],
        )
    assert not AuditEvent.objects.filter(organisation=tenant).exists()
