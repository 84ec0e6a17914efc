"""`record_events`: many ledger events under one lock of the chain head, hashed exactly as
`record_event` hashes them, so the chain proves itself whichever way events were appended."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from iwms.audit import Entry, _jsonb_numbers, _normalise, collected, record_event, record_events, verify_chain
from iwms.choices import AuditAction
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


def test_collected_events_are_appended_later_and_chain_as_if_recorded_one_by_one(tenant):
    with collected() as events:
        unsaved = record_event(
            tenant=tenant, action="create", object_type="tests.item", object_id="1", actor="system:test"
        )
        record_event(tenant=tenant.pk, action="escalate", object_type="tests.item", object_id="1", message="up")
    assert unsaved.pk is None and not AuditEvent.objects.filter(organisation=tenant).exists()
    assert [(tenant_id, entry.action) for tenant_id, entry in events] == [
        (tenant.pk, "create"),
        (tenant.pk, "escalate"),
    ]
    record_event(tenant=tenant, action="read", object_type="tests.item", object_id="1")  # outside: written at once
    assert record_events(tenant=tenant, entries=[entry for _, entry in events]) == 2
    stored = list(AuditEvent.objects.filter(organisation=tenant).order_by("seq"))
    assert [(e.action, e.actor_label, e.message) for e in stored] == [
        ("read", "system", ""),
        ("create", "system:test", ""),
        ("escalate", "system", "up"),
    ]
    assert verify_chain(tenant).ok


@pytest.mark.parametrize(
    "changes",
    [
        {"state": ["open", "in_progress"], "n": 3, "flag": True, "none": None},
        {"due_at": timezone.now(), "at": [timezone.now().replace(microsecond=0)], "nested": {"k": ("a", 1)}},
        {"action": AuditAction.CREATE, "big": 1e16, "ratio": 0.25},
        {"id": uuid.uuid4(), "money": Decimal("1.50"), "day": date(2026, 11, 25), "span": timedelta(minutes=5)},
    ],
)
def test_changes_are_normalised_exactly_as_the_json_round_trip_would(changes):
    round_trip = _jsonb_numbers(json.loads(json.dumps(changes, cls=DjangoJSONEncoder, sort_keys=True)))
    normalised = _normalise(changes)
    assert normalised == round_trip
    assert json.dumps(normalised, sort_keys=True) == json.dumps(round_trip, sort_keys=True)
