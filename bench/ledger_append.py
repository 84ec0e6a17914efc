"""Ledger append rate: `record_event` (lock the tenant's chain head, hash, insert, advance the
head; one transaction per event) against a plain INSERT of the same row into the same table,
one transaction per row, with the same number of concurrent writer threads, in the same run.

Scenarios: 1 writer; 4 writers on one tenant (they queue on the chain head: the worst case);
4 writers on 4 tenants (the usual case: tenants never wait on each other). The chains are
verified at the end: concurrency must never fork them.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time

from django.db import connection, connections
from django.utils import timezone

from bench.results import Result
from iwms.audit import record_event, verify_chain
from iwms.models import Organisation

_baseline_seq = itertools.count(10_000_000)
_seq_lock = threading.Lock()


def _next_seq() -> int:
    with _seq_lock:
        return next(_baseline_seq)


def _append(tenant_id: int) -> None:
    record_event(
        tenant=tenant_id,
        action="update",
        object_type="bench.item",
        object_id="1",
        changes={"state": ["open", "in_progress"]},
        actor="system:bench",
    )


def _plain_insert(tenant_id: int) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO iwms_auditevent (organisation_id, seq, actor_kind, actor_id, actor_label, action, "
            "object_type, object_id, message, changes, request_id, created_at, prev_hash, hash) "
            "VALUES (%s, %s, 'system', NULL, 'system:bench', 'update', 'bench.item', '1', '', %s, '', %s, %s, %s)",
            [tenant_id, _next_seq(), '{"state": ["open", "in_progress"]}', now, "0" * 64, secrets.token_hex(32)],
        )


def _rate(operation, tenant_ids: list[int], seconds: float) -> float:
    counts = [0] * len(tenant_ids)
    errors: list[BaseException] = []
    start_gate = threading.Barrier(len(tenant_ids) + 1)
    stop_at = [0.0]

    def worker(index: int, tenant_id: int) -> None:
        try:
            start_gate.wait()
            while time.perf_counter() < stop_at[0]:
                operation(tenant_id)
                counts[index] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, t)) for i, t in enumerate(tenant_ids)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def run(*, quick: bool = False) -> list[Result]:
    seconds = 2.0 if quick else 6.0
    tenants = [Organisation.objects.create(slug=f"bench-{i}", name=f"Bench {i}") for i in range(4)]
    baseline_tenant = Organisation.objects.create(slug="bench-baseline", name="Bench baseline")
    ids = [t.pk for t in tenants]
    scenarios = [
        ("1 writer", [ids[0]]),
        ("4 writers, one tenant", [ids[0]] * 4),
        ("4 writers, 4 tenants", ids),
    ]
    results = []
    for label, tenant_ids in scenarios:
        baseline = _rate(_plain_insert, [baseline_tenant.pk] * len(tenant_ids), seconds)
        ledger = _rate(_append, tenant_ids, seconds)
        results.append(
            Result(
                f"ledger append, {label}",
                "ev/s",
                ledger,
                baseline,
                target_ratio=0.3 if connection.vendor == "postgresql" else None,
                note=f"({connection.vendor})",
            )
        )
    for tenant in tenants:
        report = verify_chain(tenant)
        if not report.ok:
            raise AssertionError(f"chain broken after the benchmark: {report.broken}")
    print(f"chains verified after the run: {', '.join(f'{t.slug}' for t in tenants)}")
    return results
