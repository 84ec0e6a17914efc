"""Writing to and proving the audit ledger.

`record_event` is the only way a row enters `AuditEvent`. Each tenant's events form a chain:
`hash = sha256(prev_hash | seq | canonical payload)`. Appends lock the tenant's chain head,
so concurrent writers queue per tenant and the chain never forks (a unique `(tenant, seq)`
backs that up in the database).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from iwms.bulk_rows import recordset, rows_json
from iwms.choices import ActorKind, AuditAction
from iwms.models import AuditChainHead, AuditEvent, Organisation
from iwms.request_context import current_actor, current_request_id

GENESIS_HASH = "0" * 64


def _jsonb_numbers(value: Any) -> Any:
    """PostgreSQL's jsonb stores 1e16 as 10000000000000000 and hands back an int; floats that
    large are always integral, so store them as ints and hash what will be read back."""
    if isinstance(value, float) and abs(value) >= 1e16 and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _jsonb_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonb_numbers(item) for item in value]
    return value


_ENCODER = DjangoJSONEncoder()


def _normalise(value: Any) -> Any:
    """Make `value` plain JSON so what is hashed is exactly what the database returns."""
    try:
        return _plain(value)
    except _NotPlain:  # floats and anything unusual: through the encoder and back
        return _jsonb_numbers(json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)))


class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    """`value` as the JSON round trip would return it, for the common cases (text, whole
    numbers, flags, moments as the encoder writes them, lists, dicts with text keys), without
    the round trip; `_NotPlain` for anything else."""
    if value is None or type(value) is str or type(value) is bool:
        return value
    if isinstance(value, str):
        return str(value)  # a choice's member reads back as its text
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)  # an IntEnum's member reads back as its number
    if isinstance(value, datetime):
        return _ENCODER.default(value)
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise _NotPlain


def canonical_payload(
    *,
    tenant_id: int,
    actor_kind: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    message: str,
    changes: Any,
    request_id: str,
    created_at: datetime,
) -> str:
    return json.dumps(
        {
            "tenant": tenant_id,
            "actor_kind": actor_kind,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "message": message,
            "changes": changes,
            "request_id": request_id,
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, seq: int, payload: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{seq}|{payload}".encode()).hexdigest()


HASHED_FIELDS = (
    "actor_kind",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "message",
    "changes",
    "request_id",
    "created_at",
)


def event_hash(event: AuditEvent) -> str:
    """Recompute an event's hash from its stored fields."""
    payload = canonical_payload(
        tenant_id=event.organisation_id, **{name: getattr(event, name) for name in HASHED_FIELDS}
    )
    return chain_hash(event.prev_hash, event.seq, payload)


def _resolve_actor(actor: Any) -> tuple[str, int | None, str]:
    if actor is None:
        actor = current_actor()
    if actor is None:
        return ActorKind.SYSTEM, None, "system"
    if isinstance(actor, str):
        return ActorKind.SYSTEM, None, actor
    kind = ActorKind.INTEGRATION if getattr(actor, "is_integration", False) else ActorKind.USER
    return kind, actor.pk, actor.get_username()


def _lock_head(tenant_id: int) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(organisation_id=tenant_id).first()
    if head is None:
        AuditChainHead.objects.bulk_create([AuditChainHead(organisation_id=tenant_id)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(organisation_id=tenant_id)
    return head


def object_label(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record_event(
    *,
    tenant: Organisation | int,
    action: str,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    message: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the tenant's chain, inside the caller's transaction if any.

    `actor` is a user, a string naming a system component, or None for the current actor
    (the signed-in user during a request, else "system"). `changes` holds minimal deltas,
    e.g. `{"state": ["open", "in_progress"]}`.
    """
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    if obj is not None:
        object_type, object_id = object_label(obj)
    actor_kind, actor_id, actor_label = _resolve_actor(actor)
    fields = {
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "message": message,
        "changes": _normalise(changes or {}),
        "request_id": current_request_id(),
        "created_at": timezone.now(),
    }
    collecting = _collecting.get()
    if collecting is not None:
        collecting.append(
            (tenant_id, Entry(action, None, object_type, object_id, message, changes, actor or current_actor()))
        )
        return AuditEvent(organisation_id=tenant_id, **fields)
    payload = canonical_payload(tenant_id=tenant_id, **fields)
    event = AuditEvent(organisation_id=tenant_id, **fields)
    if connection.vendor == "postgresql":
        _append_in_one_statement(event, payload)
    else:
        _append_with_orm(event, payload)
    return event


_collecting: contextvars.ContextVar[list[tuple[int, Entry]] | None] = contextvars.ContextVar(
    "iwms_audit_collecting", default=None
)


@contextmanager
def collected() -> Iterator[list[tuple[int, Entry]]]:
    """Within the block, `record_event` appends nothing: it collects (tenant, entry) pairs,
    in order, for the caller to append later with `record_events` — many events under one
    lock of the chain head instead of one statement each. `record_event` then returns the
    event unsaved. The caller appends them in the same transaction, or drops them with the
    work they describe when that work fails."""
    entries: list[tuple[int, Entry]] = []
    token = _collecting.set(entries)
    try:
        yield entries
    finally:
        _collecting.reset(token)


def _append_with_orm(event: AuditEvent, payload: str) -> None:
    with transaction.atomic():
        head = _lock_head(event.organisation_id)
        event.seq = head.last_seq + 1
        event.prev_hash = head.last_hash
        event.hash = chain_hash(head.last_hash, event.seq, payload)
        AuditEvent.objects.bulk_create([event])
        AuditChainHead.objects.filter(organisation_id=event.organisation_id).update(
            last_seq=event.seq, prev_hash=event.prev_hash, last_hash=event.hash, updated_at=event.created_at
        )


# One round trip on PostgreSQL: the UPDATE takes the head's row lock (held to commit, so
# appends for one tenant queue and never fork), advances the sequence and computes the same
# hash as `chain_hash` with sha256(); the INSERT takes its values from the new head.
_APPEND_SQL = """
WITH head AS (
    UPDATE iwms_auditchainhead
       SET last_seq = last_seq + 1,
           prev_hash = last_hash,
           last_hash = encode(sha256(convert_to(last_hash || '|' || (last_seq + 1)::text || '|' || %(payload)s,
                                                'UTF8')), 'hex'),
           updated_at = %(created_at)s
     WHERE organisation_id = %(tenant)s
 RETURNING last_seq, prev_hash, last_hash
)
INSERT INTO iwms_auditevent (organisation_id, seq, actor_kind, actor_id, actor_label, action, object_type,
                             object_id, message, changes, request_id, created_at, prev_hash, hash)
SELECT %(tenant)s, head.last_seq, %(actor_kind)s, %(actor_id)s, %(actor_label)s, %(action)s, %(object_type)s,
       %(object_id)s, %(message)s, %(changes)s::jsonb, %(request_id)s, %(created_at)s, head.prev_hash,
       head.last_hash
  FROM head
RETURNING id, seq, prev_hash, hash
"""


def _append_in_one_statement(event: AuditEvent, payload: str) -> None:
    params = {
        "payload": payload,
        "tenant": event.organisation_id,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "message": event.message,
        "changes": json.dumps(event.changes),
        "request_id": event.request_id,
        "created_at": event.created_at,
    }
    with connection.cursor() as cursor:
        cursor.execute(_APPEND_SQL, params)
        row = cursor.fetchone()
        if row is None:  # the tenant's first event: create its chain head, then append
            AuditChainHead.objects.bulk_create(
                [AuditChainHead(organisation_id=event.organisation_id)], ignore_conflicts=True
            )
            cursor.execute(_APPEND_SQL, params)
            row = cursor.fetchone()
    event.pk, event.seq, event.prev_hash, event.hash = row


@dataclass(frozen=True)
class ChainBreak:
    tenant_slug: str
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.seq} (id {self.event_id})" if self.event_id else f"position #{self.seq}"
        return f"tenant {self.tenant_slug}: {where}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    tenant_slug: str
    events: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _walk(
    tenant: Organisation, events: Iterable[AuditEvent], *, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> Iterator[ChainBreak | tuple[int, str]]:
    """Check each event's link and hash, starting after position `after_seq` whose hash is
    `after_hash` (genesis by default); yields the first break, or (count walked, last hash)."""
    expected_prev = after_hash
    expected_seq = after_seq + 1
    count = 0
    for event in events:
        if event.seq != expected_seq:
            yield ChainBreak(tenant.slug, expected_seq, None, f"missing; next stored is #{event.seq}")
            return
        if event.prev_hash != expected_prev:
            yield ChainBreak(tenant.slug, event.seq, event.pk, "previous hash does not match")
            return
        if event_hash(event) != event.hash:
            yield ChainBreak(tenant.slug, event.seq, event.pk, "content does not match its hash")
            return
        expected_prev = event.hash
        expected_seq += 1
        count += 1
    yield count, expected_prev


def verify_chain(tenant: Organisation) -> ChainReport:
    """Walk one tenant's chain from genesis; report the first broken event, if any."""
    events = AuditEvent.objects.filter(organisation=tenant).order_by("seq").iterator(chunk_size=2000)
    outcome = list(_walk(tenant, events))[-1]
    if isinstance(outcome, ChainBreak):
        return ChainReport(tenant.slug, outcome.seq - 1, outcome)
    count, last_hash = outcome
    head = AuditChainHead.objects.filter(organisation=tenant).first()
    if head is not None and head.last_seq != count:
        return ChainReport(
            tenant.slug,
            count,
            ChainBreak(tenant.slug, count + 1, None, f"chain head says #{head.last_seq}; tail is missing"),
        )
    if head is not None and count and head.last_hash != last_hash:
        # A rewrite that recomputed every hash from some event on must also forge the head.
        return ChainReport(
            tenant.slug, count, ChainBreak(tenant.slug, count, None, "chain head's hash differs from the last event")
        )
    return ChainReport(tenant.slug, count, None)


def verify_chain_since(tenant: Organisation, *, seq: int, hash: str) -> ChainBreak | None:
    """Walk the tenant's events after position `seq`, which must still hold `hash` (a signed
    checkpoint's), to the chain head: only what was appended since is read."""
    anchor = AuditEvent.objects.filter(organisation=tenant, seq=seq).values_list("pk", "hash").first()
    if seq and (anchor is None or anchor[1] != hash):
        reason = "missing" if anchor is None else "no longer has the hash of the last checkpoint"
        return ChainBreak(tenant.slug, seq, anchor[0] if anchor else None, reason)
    events = AuditEvent.objects.filter(organisation=tenant, seq__gt=seq).order_by("seq").iterator(chunk_size=2000)
    outcome = list(_walk(tenant, events, after_seq=seq, after_hash=hash if seq else GENESIS_HASH))[-1]
    if isinstance(outcome, ChainBreak):
        return outcome
    count, last_hash = outcome
    head = AuditChainHead.objects.filter(organisation=tenant).first()
    if head is not None and (head.last_seq != seq + count or (count and head.last_hash != last_hash)):
        return ChainBreak(tenant.slug, seq + count, None, "chain head does not match the last event")
    return None


# Rows per INSERT in `record_events` (PostgreSQL takes at most 65,535 parameters a statement).
BULK_ROWS = 1000


@dataclass(frozen=True)
class Entry:
    """One event for `record_events`; the fields mean what `record_event`'s arguments mean."""

    action: str
    obj: models.Model | None = None
    object_type: str = ""
    object_id: str = ""
    message: str = ""
    changes: dict[str, Any] | None = None
    actor: Any = None


def record_events(*, tenant: Organisation | int, entries: Sequence[Entry]) -> int:
    """Append several events to one tenant's chain, in order, under one lock of its chain
    head: three statements whatever their number (for sweeps that record many facts at once).
    The hashes are those `record_event` computes, so `verify_chain` cannot tell them apart.
    Returns how many were appended."""
    if not entries:
        return 0
    if len(entries) == 1:  # one statement on PostgreSQL
        entry = entries[0]
        record_event(
            tenant=tenant,
            action=entry.action,
            actor=entry.actor,
            obj=entry.obj,
            object_type=entry.object_type,
            object_id=entry.object_id,
            message=entry.message,
            changes=entry.changes,
        )
        return 1
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    request_id = current_request_id()
    actions = set(AuditAction.values)
    with transaction.atomic():
        head = _lock_head(tenant_id)
        seq, prev = head.last_seq, head.last_hash
        rows = []
        for entry in entries:
            if entry.action not in actions:
                raise ValueError(f"unknown audit action {entry.action!r}")
            object_type, object_id = (
                object_label(entry.obj) if entry.obj is not None else (entry.object_type, entry.object_id)
            )
            actor_kind, actor_id, actor_label = _resolve_actor(entry.actor)
            fields = {
                "actor_kind": actor_kind,
                "actor_id": actor_id,
                "actor_label": actor_label,
                "action": entry.action,
                "object_type": object_type,
                "object_id": object_id,
                "message": entry.message,
                "changes": _normalise(entry.changes or {}),
                "request_id": request_id,
                "created_at": timezone.now(),
            }
            seq += 1
            digest = chain_hash(prev, seq, canonical_payload(tenant_id=tenant_id, **fields))
            rows.append({"seq": seq, "prev_hash": prev, "hash": digest, **fields})
            prev = digest
        if connection.vendor == "postgresql":
            _insert_events_postgresql(tenant_id, rows)
        else:
            AuditEvent.objects.bulk_create(
                [AuditEvent(organisation_id=tenant_id, **row) for row in rows], batch_size=BULK_ROWS
            )
        AuditChainHead.objects.filter(organisation_id=tenant_id).update(
            last_seq=seq, prev_hash=rows[-1]["prev_hash"], last_hash=prev, updated_at=rows[-1]["created_at"]
        )
    return len(rows)


_EVENT_COLUMNS = (
    ("seq", "bigint"),
    ("actor_kind", "text"),
    ("actor_id", "bigint"),
    ("actor_label", "text"),
    ("action", "text"),
    ("object_type", "text"),
    ("object_id", "text"),
    ("message", "text"),
    ("changes", "jsonb"),
    ("request_id", "text"),
    ("created_at", "timestamptz"),
    ("prev_hash", "text"),
    ("hash", "text"),
)
# One statement for any number of events: their rows as one JSON parameter (see iwms.bulk_rows).
_INSERT_EVENTS_SQL = f"""
INSERT INTO iwms_auditevent (organisation_id, seq, actor_kind, actor_id, actor_label, action, object_type, object_id,
                             message, changes, request_id, created_at, prev_hash, hash)
SELECT %s, t.* FROM {recordset(_EVENT_COLUMNS)}
"""  # noqa: S608 - constants only


def _insert_events_postgresql(tenant_id: int, rows: list[dict[str, Any]]) -> None:
    """One INSERT for all the rows; `changes` goes as the JSON the hash was computed over."""
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_EVENTS_SQL,
            [tenant_id, rows_json([{name: row[name] for name, _ in _EVENT_COLUMNS} for row in rows])],
        )
