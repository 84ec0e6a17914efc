"""Keeping the KPI rollups up to date: incrementally from the tenant's ledger (each batch of
new events refreshes the facts of the incidents they touch and folds the differences into the
daily rollups), or rebuilt from the incidents. Both lock the tenant's watermark row, so a
tenant's batches and rebuilds never overlap. Nothing here is a governed write: the tables are
derived and a rebuild recreates them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents.assurance.facts import facts_for, keys_of, measures_of
from incidents.assurance.models import INTEGER_MEASURES, MEASURE_FIELDS, KpiFact, KpiRollup, RollupWatermark
from incidents.models import Breach, Escalation, Incident, MaturitySignal
from iwms.models import AuditEvent

BATCH_EVENTS = 10_000
REBUILD_CHUNK = 5_000
# Ledger object types that name something of one incident, and the column that says which.
INCIDENT_OF = {
    "incidents.incident": None,
    "incidents.escalation": Escalation,
    "incidents.breach": Breach,
    "incidents.maturitysignal": MaturitySignal,
}

Key = tuple[Any, ...]
Vector = list[float]


@dataclass(frozen=True)
class Folded:
    events: int
    incidents: int
    last_seq: int


def _locked_watermark(tenant_id: int) -> RollupWatermark:
    RollupWatermark.objects.get_or_create(organisation_id=tenant_id)
    return RollupWatermark.objects.select_for_update().get(organisation_id=tenant_id)


def _add(deltas: dict[Key, Vector], key: Key, measures: Iterable[float], sign: int) -> None:
    vector = deltas.setdefault(key, [0.0] * len(MEASURE_FIELDS))
    for i, value in enumerate(measures):
        vector[i] += sign * value


def _apply(tenant_id: int, deltas: dict[Key, Vector]) -> None:
    """Add `deltas` to the tenant's rollup rows (created when new, deleted when empty)."""
    deltas = {key: vector for key, vector in deltas.items() if any(abs(v) > 1e-9 for v in vector)}
    if not deltas:
        return
    days = {key[0] for key in deltas}
    units = {key[1] for key in deltas}
    existing = {
        (row.day, row.unit_id, row.category_id, row.severity, row.kind): row
        for row in KpiRollup.objects.select_for_update().filter(
            organisation_id=tenant_id, day__in=days, unit_id__in=units, category_id__in={key[2] for key in deltas}
        )
    }
    changed, created, emptied = [], [], []
    for key, vector in deltas.items():
        row = existing.get(key)
        if row is None:
            row = KpiRollup(
                organisation_id=tenant_id, day=key[0], unit_id=key[1], category_id=key[2], severity=key[3], kind=key[4]
            )
        for name, value in zip(MEASURE_FIELDS, vector, strict=True):
            total = getattr(row, name) + value
            setattr(row, name, round(total) if name in INTEGER_MEASURES else total)
        if row.pk is None:
            if row.items > 0:
                created.append(row)
        elif row.items <= 0:
            emptied.append(row.pk)
        else:
            changed.append(row)
    now = timezone.now()
    for row in changed:
        row.updated_at = now
    if changed:
        KpiRollup.objects.bulk_update(changed, [*MEASURE_FIELDS, "updated_at"], batch_size=500)
    if created:
        KpiRollup.objects.bulk_create(created, batch_size=500)
    if emptied:
        KpiRollup.objects.filter(pk__in=emptied).delete()


def _refresh(tenant_id: int, incident_ids: set[int]) -> int:
    """Recompute the facts of `incident_ids` and fold their differences into the rollups."""
    if not incident_ids:
        return 0
    new = facts_for(incident_ids)
    old = {fact.incident_id: fact for fact in KpiFact.objects.filter(incident_id__in=incident_ids)}
    deltas: dict[Key, Vector] = {}
    for fact in old.values():
        for key in keys_of(fact):
            _add(deltas, key, measures_of(fact), -1)
    for fact in new.values():
        for key in keys_of(fact):
            _add(deltas, key, measures_of(fact), +1)
    _apply(tenant_id, deltas)
    KpiFact.objects.filter(incident_id__in=incident_ids).delete()
    KpiFact.objects.bulk_create(new.values(), batch_size=1000)
    return len(incident_ids)


def refresh_incidents(*, tenant_id: int, incident_ids: Iterable[int]) -> int:
    """Bring the rollups up to date for these incidents of the tenant (one transaction)."""
    with transaction.atomic():
        _locked_watermark(tenant_id)
        mine = Incident.objects.filter(organisation_id=tenant_id, pk__in=set(incident_ids))
        ids = set(mine.values_list("pk", flat=True))
        return _refresh(tenant_id, ids)


def _incidents_named(events: list[tuple[int, str, str]]) -> set[int]:
    ids: set[int] = set()
    by_model: dict[Any, set[int]] = defaultdict(set)
    for _seq, object_type, object_id in events:
        if object_type not in INCIDENT_OF or not object_id.isdigit():
            continue
        model = INCIDENT_OF[object_type]
        if model is None:
            ids.add(int(object_id))
        else:
            by_model[model].add(int(object_id))
    for model, pks in by_model.items():
        ids.update(model.objects.filter(pk__in=pks).values_list("incident_id", flat=True))
    return ids


def fold_ledger_batch(*, tenant_id: int, batch: int = BATCH_EVENTS) -> Folded:
    """Fold the next `batch` ledger events of the tenant into the rollups: the incidents they
    name are refreshed, and the watermark moves past them — in one transaction."""
    with transaction.atomic():
        mark = _locked_watermark(tenant_id)
        events = list(
            AuditEvent.objects.filter(organisation_id=tenant_id, seq__gt=mark.last_seq)
            .order_by("seq")
            .values_list("seq", "object_type", "object_id")[:batch]
        )
        if not events:
            return Folded(0, 0, mark.last_seq)
        ids = _incidents_named(events)
        ids = set(Incident.objects.filter(organisation_id=tenant_id, pk__in=ids).values_list("pk", flat=True))
        refreshed = _refresh(tenant_id, ids)
        mark.last_seq = events[-1][0]
        mark.save(update_fields=["last_seq", "updated_at"])
        return Folded(len(events), refreshed, mark.last_seq)


def fold_ledger(*, tenant_id: int, batch: int = BATCH_EVENTS) -> int:
    """Fold every new ledger event of the tenant, batch by batch; returns how many."""
    total = 0
    while True:
        folded = fold_ledger_batch(tenant_id=tenant_id, batch=batch)
        total += folded.events
        if folded.events < batch:
            return total


def rebuild(*, tenant_id: int, chunk: int = REBUILD_CHUNK) -> int:
    """Recreate the tenant's facts and rollups from its incidents; the watermark moves to the
    ledger's end as it was when the rebuild started (later events refresh what they touch)."""
    with transaction.atomic():
        mark = _locked_watermark(tenant_id)
        last_seq = AuditEvent.objects.filter(organisation_id=tenant_id).aggregate(last=Max("seq"))["last"] or 0
        KpiRollup.objects.filter(organisation_id=tenant_id).delete()
        KpiFact.objects.filter(organisation_id=tenant_id).delete()
        sums: dict[Key, Vector] = {}
        after, count = 0, 0
        while True:
            ids = list(
                Incident.objects.filter(organisation_id=tenant_id, pk__gt=after)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            after = ids[-1]
            facts = facts_for(ids)
            for fact in facts.values():
                for key in keys_of(fact):
                    _add(sums, key, measures_of(fact), +1)
            KpiFact.objects.bulk_create(facts.values(), batch_size=1000)
            count += len(facts)
        _apply(tenant_id, sums)
        mark.last_seq = last_seq
        mark.rebuilt_at = timezone.now()
        mark.save(update_fields=["last_seq", "rebuilt_at", "updated_at"])
        return count
