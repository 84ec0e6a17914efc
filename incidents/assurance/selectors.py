"""Reads of the assurance dashboards: sums of the KPI rollups over a scope (tenant or unit
subtree, period, severity, kind, category subtree) and the breakdowns built from them — a
fixed number of aggregate queries whatever the number of incidents, never the incidents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet, Sum

from incidents.assurance import kpis
from incidents.assurance.facts import ALL_CATEGORIES
from incidents.assurance.filters import Scope
from incidents.assurance.maturity import Maturity, maturity, weights_for
from incidents.assurance.models import MEASURE_FIELDS, KpiRollup
from incidents.choices import IncidentKind, Severity
from organogram.models import OrgUnit

SUMS = {name: Sum(name) for name in MEASURE_FIELDS}
MATURITY_TREND_PERIODS = 6


def _plain(row: dict[str, Any]) -> dict[str, float]:
    return {name: row.get(name) or 0 for name in MEASURE_FIELDS}


@dataclass
class Breakdown:
    """One row of a breakdown table: its label, the drill-through filters, the sums and KPIs."""

    label: str
    drill: dict[str, Any]
    sums: dict[str, float]
    values: dict[str, float | None] = field(init=False)

    def __post_init__(self) -> None:
        self.values = kpis.values(self.sums)


@dataclass
class Dashboard:
    tenant_id: int
    unit: OrgUnit | None
    scope: Scope
    current: dict[str, float]
    previous: dict[str, float]
    summary: list[dict[str, Any]]
    trend: list[Breakdown]
    by_severity: list[Breakdown]
    by_kind: list[Breakdown]
    by_unit: list[Breakdown]
    maturity: Maturity
    unit_maturity: dict[int, Maturity]
    maturity_trend: list[tuple[Breakdown, Maturity]]


def subtree(tenant_id: int, unit: OrgUnit | None) -> tuple[list[OrgUnit], dict[int, int], set[int]]:
    """The units a dashboard sums (every unit of the tenant, or `unit` and all below it); for
    each, the row of the by-unit table it rolls up to — a unit just below the top (with all its
    subtree), or the top unit itself for what is owned there; and which rows are the top's."""
    if unit is None:
        units = list(OrgUnit.objects.for_tenant(tenant_id).order_by("name"))
        tops = {u.pk for u in units if u.parent_id is None}
    else:
        units = list(OrgUnit.objects.descendants(unit, include_self=True).order_by("name"))
        tops = {unit.pk}
    parent = {u.pk: u.parent_id for u in units}
    rows = tops | {u.pk for u in units if u.parent_id in tops}
    row_of: dict[int, int] = {}
    for u in units:
        pk = u.pk
        while pk is not None and pk not in rows:
            pk = parent.get(pk)
        if pk is not None:
            row_of[u.pk] = pk
    return units, row_of, tops


def rollups(tenant_id: int, scope: Scope, unit_ids: Iterable[int] | None, start: date, end: date) -> QuerySet:
    rows = KpiRollup.objects.filter(organisation_id=tenant_id, day__gte=start, day__lt=end)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=list(unit_ids))
    if scope.severity:
        rows = rows.filter(severity=scope.severity)
    if scope.kind:
        rows = rows.filter(kind=scope.kind)
    if scope.category_ids is None:
        rows = rows.filter(category_id=ALL_CATEGORIES)
    else:
        rows = rows.filter(category_id__in=scope.category_ids)
    return rows.order_by()


def _totals(rows: QuerySet) -> dict[str, float]:
    return _plain(rows.aggregate(**SUMS))


def _grouped(rows: QuerySet, column: str) -> dict[Any, dict[str, float]]:
    return {row[column]: _plain(row) for row in rows.values(column).annotate(**SUMS)}


def _add_into(target: dict[str, float], sums: dict[str, float]) -> None:
    for name in MEASURE_FIELDS:
        target[name] = target.get(name, 0) + sums.get(name, 0)


def _buckets(by_day: dict[date, dict[str, float]], start: date, end: date, days: int) -> list[Breakdown]:
    rows = []
    day = start
    while day < end:
        last = min(end, day + timedelta(days=days)) - timedelta(days=1)
        sums: dict[str, float] = {name: 0 for name in MEASURE_FIELDS}
        current = day
        while current <= last:
            _add_into(sums, by_day.get(current, {}))
            current += timedelta(days=1)
        label = day.isoformat() if day == last else f"{day.isoformat()} – {last.isoformat()}"
        rows.append(Breakdown(label, {"reported_from": day, "reported_to": last}, sums))
        day = last + timedelta(days=1)
    return rows


def summary_rows(current: dict[str, float], previous: dict[str, float]) -> list[dict[str, Any]]:
    now, before = kpis.values(current), kpis.values(previous)
    return [
        {
            "kpi": kpi,
            "now": now[kpi.key],
            "before": before[kpi.key],
            "change": kpis.change(kpi, now[kpi.key], before[kpi.key]),
        }
        for kpi in kpis.CATALOGUE
    ]


def dashboard(*, tenant_id: int, unit: OrgUnit | None, scope: Scope) -> Dashboard:
    """Everything a dashboard shows, from the rollups (eight queries whatever the volume)."""
    units, head_of, tops = subtree(tenant_id, unit)
    unit_ids = None if unit is None else [u.pk for u in units]
    current_rows = rollups(tenant_id, scope, unit_ids, scope.start, scope.end)
    current = _totals(current_rows)
    previous = _totals(rollups(tenant_id, scope, unit_ids, scope.previous_start, scope.start))
    period = scope.end - scope.start
    history_start = scope.end - period * MATURITY_TREND_PERIODS
    by_day = _grouped(rollups(tenant_id, scope, unit_ids, history_start, scope.end), "day")
    trend = _buckets(by_day, scope.start, scope.end, scope.bucket_days)
    severity_sums = _grouped(current_rows, "severity")
    kind_sums = _grouped(current_rows, "kind")
    unit_sums: dict[int, dict[str, float]] = defaultdict(dict)
    for unit_id, sums in _grouped(current_rows, "unit_id").items():
        if unit_id in head_of:
            _add_into(unit_sums[head_of[unit_id]], sums)
    drill = {"reported_from": scope.start, "reported_to": scope.last_day}
    if scope.severity:
        drill["severity"] = scope.severity
    if scope.category is not None:
        drill["category"] = scope.category.pk
    for bucket in trend:
        bucket.drill = {**drill, **bucket.drill}
    names = {u.pk: u for u in units}
    by_unit = [
        Breakdown(
            f"{names[pk].name} (itself)" if pk in tops else names[pk].name,
            {**drill, "unit": pk},
            {**dict.fromkeys(MEASURE_FIELDS, 0), **sums},
        )
        for pk, sums in sorted(unit_sums.items(), key=lambda item: (item[0] not in tops, names[item[0]].name))
    ]
    weights = weights_for(tenant_id)
    history = [
        (bucket, maturity(bucket.sums, weights)) for bucket in _buckets(by_day, history_start, scope.end, period.days)
    ]
    return Dashboard(
        tenant_id=tenant_id,
        unit=unit,
        scope=scope,
        current=current,
        previous=previous,
        summary=summary_rows(current, previous),
        trend=trend,
        by_severity=[
            Breakdown(label, {**drill, "severity": value}, severity_sums.get(value, dict.fromkeys(MEASURE_FIELDS, 0)))
            for value, label in Severity.choices
            if not scope.severity or scope.severity == value
        ],
        by_kind=[
            Breakdown(label, drill, kind_sums[value]) for value, label in IncidentKind.choices if value in kind_sums
        ],
        by_unit=by_unit,
        maturity=maturity(current, weights),
        unit_maturity={row.drill["unit"]: maturity(row.sums, weights) for row in by_unit},
        maturity_trend=history,
    )
