"""Signed checkpoints of every tenant's audit chain, kept outside the database.

The hash chain proves that nothing changed *unless* someone rewrote an event and recomputed
every later hash and the chain head — which a database superuser can. A checkpoint pins the
chain at one moment: tenant, position and id of the last event, its hash, the count, the time,
and an HMAC-SHA256 over all of them with a key the database never holds (`IWMS_LEDGER_KEY` or
`IWMS_LEDGER_KEY_FILE`; the embedded mode generates a key file under var/ on first use). Beat
writes one per tenant whose chain moved, every `IWMS_LEDGER_CHECKPOINT_INTERVAL_SECONDS`, to an
append-only JSON-lines file in `IWMS_LEDGER_CHECKPOINT_DIR`. Before signing, the events since
the tenant's previous checkpoint are walked from it, so a rewrite is never signed over.
`verify_checkpoints` (run by `manage.py verify_audit`) checks every line's MAC and that the
event at each checkpointed position still has the checkpointed hash.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from iwms.audit import ChainBreak, verify_chain_since
from iwms.models import AuditEvent, Organisation

logger = logging.getLogger("iwms.ledger_checkpoints")

FORMAT_VERSION = 1
MIN_KEY_BYTES = 32
STORE_FILE_NAME = "checkpoints.jsonl"


# --- the key --------------------------------------------------------------------------------


def ledger_key() -> bytes:
    """The checkpoint key: IWMS_LEDGER_KEY (or the file IWMS_LEDGER_KEY_FILE names); in the
    embedded mode only, a key file generated under var/ on first use."""
    if settings.IWMS_LEDGER_KEY:
        key = settings.IWMS_LEDGER_KEY.encode()
        if len(key) < MIN_KEY_BYTES:
            raise ImproperlyConfigured(f"IWMS_LEDGER_KEY must be at least {MIN_KEY_BYTES} characters long.")
        return key
    if not settings.EMBEDDED:
        raise ImproperlyConfigured(
            "IWMS_LEDGER_KEY (or IWMS_LEDGER_KEY_FILE) must be set outside the embedded mode: ledger "
            "checkpoints are signed with it, and it must not live in the database."
        )
    path = Path(settings.IWMS_LEDGER_KEY_GENERATED_PATH)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it first
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            logger.warning(
                "Embedded mode: generated a new ledger checkpoint key at %s. Keep it, and keep it away from "
                "the database and its backups; set IWMS_LEDGER_KEY in production.",
                path,
            )
    return path.read_text().strip().encode()


def key_id(key: bytes) -> str:
    """Names the key a checkpoint was signed with (without revealing it), for rotation."""
    return hmac.new(key, b"iwms ledger key id", hashlib.sha256).hexdigest()[:16]


# --- checkpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """One tenant's chain at one moment; `mac` signs every other field."""

    tenant_id: int
    tenant: str
    seq: int
    event_id: int
    hash: str
    count: int
    created_at: str
    key_id: str
    v: int = FORMAT_VERSION
    mac: str = ""

    def signed_body(self) -> bytes:
        body = {name: value for name, value in asdict(self).items() if name != "mac"}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, key: bytes) -> Checkpoint:
        return Checkpoint(**{**asdict(self), "mac": hmac.new(key, self.signed_body(), hashlib.sha256).hexdigest()})

    def mac_valid(self, key: bytes) -> bool:
        expected = hmac.new(key, self.signed_body(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac)

    def to_line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


class CheckpointStore:
    """An append-only JSON-lines file, one checkpoint a line. Writers take an exclusive lock
    and fsync; nothing here ever rewrites a line (make the file append-only at the OS level,
    `chattr +a`, or ship it to write-once storage: see the README)."""

    def __init__(self, directory: Path | str | None = None):
        self.directory = Path(directory or settings.IWMS_LEDGER_CHECKPOINT_DIR)
        self.path = self.directory / STORE_FILE_NAME

    def append(self, checkpoints: Iterable[Checkpoint]) -> None:
        lines = "".join(checkpoint.to_line() + "\n" for checkpoint in checkpoints)
        if not lines:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        with os.fdopen(descriptor, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def lines(self) -> Iterator[tuple[int, Checkpoint | None, str]]:
        """(line number, checkpoint or None if the line is not one, the raw line)."""
        if not self.path.exists():
            return
        with self.path.open() as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    checkpoint = Checkpoint(**json.loads(raw))
                    valid = isinstance(checkpoint.seq, int) and isinstance(checkpoint.tenant_id, int)
                except (ValueError, TypeError):
                    checkpoint, valid = None, False
                yield number, checkpoint if valid else None, raw.rstrip("\n")

    def latest(self, key: bytes) -> dict[int, Checkpoint]:
        """Each tenant's latest checkpoint whose MAC is valid."""
        found: dict[int, Checkpoint] = {}
        for _, checkpoint, _ in self.lines():
            if checkpoint is not None and checkpoint.mac_valid(key):
                previous = found.get(checkpoint.tenant_id)
                if previous is None or checkpoint.seq >= previous.seq:
                    found[checkpoint.tenant_id] = checkpoint
        return found


# --- writing ------------------------------------------------------------------------------------


@dataclass
class CheckpointRun:
    written: list[Checkpoint] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[ChainBreak] = field(default_factory=list)


def checkpoint_ledger(
    *, tenants: Iterable[Organisation] | None = None, store: CheckpointStore | None = None
) -> CheckpointRun:
    """Sign and store a checkpoint for each tenant whose chain moved since its last one. A
    tenant whose events since that checkpoint no longer link up is refused (and logged): a
    checkpoint never vouches for a rewritten chain."""
    key = ledger_key()
    store = store or CheckpointStore()
    latest = store.latest(key)
    run = CheckpointRun()
    for tenant in tenants if tenants is not None else Organisation.objects.order_by("slug"):
        last = AuditEvent.objects.filter(organisation=tenant).order_by("-seq").values_list("pk", "seq", "hash").first()
        if last is None:
            continue
        previous = latest.get(tenant.pk)
        if previous is not None and (previous.seq, previous.hash) == (last[1], last[2]):
            run.unchanged.append(tenant.slug)
            continue
        broken = verify_chain_since(tenant, seq=previous.seq if previous else 0, hash=previous.hash if previous else "")
        if broken is not None:
            logger.error("Ledger checkpoint refused, the chain does not continue from the last one: %s", broken)
            run.refused.append(broken)
            continue
        event_id, seq, digest = last
        checkpoint = Checkpoint(
            tenant_id=tenant.pk,
            tenant=tenant.slug,
            seq=seq,
            event_id=event_id,
            hash=digest,
            count=seq,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            key_id=key_id(key),
        ).signed(key)
        run.written.append(checkpoint)
    store.append(run.written)
    return run


# --- verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointFailure:
    line: int
    tenant_slug: str
    seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.seq} (id {self.event_id})" if self.event_id else f"position #{self.seq}"
        subject = f"tenant {self.tenant_slug}: {where}" if self.seq is not None else "checkpoint store"
        return f"{subject}: {self.reason} (checkpoint line {self.line})"


@dataclass
class CheckpointReport:
    matched: dict[int, list[int]] = field(default_factory=dict)  # tenant id -> positions that match
    failures: list[CheckpointFailure] = field(default_factory=list)

    def last_match_before(self, tenant: Organisation, seq: int) -> int:
        """The latest position before `seq` whose checkpoint still matches (0: none): a
        re-chained rewrite lies after it."""
        return max((matched for matched in self.matched.get(tenant.pk, []) if matched < seq), default=0)

    def failures_of(self, tenant: Organisation) -> list[CheckpointFailure]:
        """The tenant's failures, the earliest position first: the first that names an event
        is the first event that no longer matches what was signed."""
        mine = [f for f in self.failures if f.tenant_slug == tenant.slug and f.seq is not None]
        return sorted(mine, key=lambda failure: (failure.seq, failure.line))

    def unattributed(self, tenants: Iterable[Organisation]) -> list[CheckpointFailure]:
        """Failures no tenant among `tenants` owns: lines that are no checkpoint, and forged or
        stale ones naming a tenant that does not exist."""
        slugs = {tenant.slug for tenant in tenants}
        return [failure for failure in self.failures if failure.seq is None or failure.tenant_slug not in slugs]


def verify_checkpoints(
    *, tenants: Iterable[Organisation] | None = None, store: CheckpointStore | None = None
) -> CheckpointReport:
    """Check every stored checkpoint (of `tenants`, default all): its MAC, and that the event at
    its position is the one it names and still has its hash."""
    key = ledger_key()
    store = store or CheckpointStore()
    wanted = {tenant.pk: tenant for tenant in (tenants if tenants is not None else Organisation.objects.all())}
    report = CheckpointReport(matched={tenant_id: [] for tenant_id in wanted})
    signed: list[tuple[int, Checkpoint]] = []
    for line, checkpoint, raw in store.lines():
        if checkpoint is None:
            report.failures.append(CheckpointFailure(line, "", None, None, f"not a checkpoint: {raw[:80]!r}"))
            continue
        if tenants is not None and checkpoint.tenant_id not in wanted:
            continue
        if not checkpoint.mac_valid(key):
            reason = "the checkpoint's MAC does not match: forged or altered"
            if checkpoint.key_id != key_id(key):
                reason += f", or signed with another key (key id {checkpoint.key_id})"
            report.failures.append(
                CheckpointFailure(line, checkpoint.tenant, checkpoint.seq, checkpoint.event_id, reason)
            )
            continue
        if checkpoint.tenant_id not in wanted:
            report.failures.append(
                CheckpointFailure(line, checkpoint.tenant, checkpoint.seq, None, "the checkpointed tenant is gone")
            )
            continue
        signed.append((line, checkpoint))
    stored = _stored_hashes(checkpoint for _, checkpoint in signed)
    for line, checkpoint in signed:
        event = stored.get((checkpoint.tenant_id, checkpoint.seq))
        slug = wanted[checkpoint.tenant_id].slug
        if event is None:
            reason = f"missing; it was checkpointed at {checkpoint.created_at}"
            report.failures.append(CheckpointFailure(line, slug, checkpoint.seq, checkpoint.event_id, reason))
        elif event != (checkpoint.event_id, checkpoint.hash):
            reason = f"no longer matches the checkpoint signed at {checkpoint.created_at}"
            reason += "" if event[0] == checkpoint.event_id else f" (the row there is now id {event[0]})"
            report.failures.append(CheckpointFailure(line, slug, checkpoint.seq, checkpoint.event_id, reason))
        else:
            report.matched[checkpoint.tenant_id].append(checkpoint.seq)
    return report


def _stored_hashes(checkpoints: Iterable[Checkpoint]) -> dict[tuple[int, int], tuple[int, str]]:
    """(tenant id, seq) -> (event id, hash) for every checkpointed position, a tenant at a time."""
    positions: dict[int, set[int]] = {}
    for checkpoint in checkpoints:
        positions.setdefault(checkpoint.tenant_id, set()).add(checkpoint.seq)
    found = {}
    for tenant_id, seqs in positions.items():
        ordered = sorted(seqs)
        for start in range(0, len(ordered), 1000):
            rows = AuditEvent.objects.filter(organisation_id=tenant_id, seq__in=ordered[start : start + 1000])
            for pk, seq, digest in rows.values_list("pk", "seq", "hash"):
                found[(tenant_id, seq)] = (pk, digest)
    return found
