"""One incident's KPI fact: its dimensions and measures worked out from what IWMS stores
(the incident's moments, its breaches, escalations and maturity signals), for a batch of
incidents in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from incidents.assurance.models import MEASURE_FIELDS, KpiFact
from incidents.choices import IncidentStatus, SignalKind
from incidents.models import Breach, Escalation, Incident, MaturitySignal

INCIDENT_COLUMNS = (
    "id",
    "organisation_id",
    "reported_at",
    "occurred_at",
    "acknowledged_at",
    "contained_at",
    "closed_at",
    "status",
    "reopened_count",
    "escalation_level",
    "severity",
    "kind",
    "category_id",
    "owner_position__unit_id",
)

SIGNAL_MEASURES = {
    SignalKind.ESCALATED_TO_TOP: "sig_top",
    SignalKind.REVIEW_OVERRIDDEN: "sig_override",
    SignalKind.VACANT_SUPERVISOR: "sig_vacant",
    SignalKind.ORGANOGRAM_MISMATCH: "sig_mismatch",
}


def counted(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """The incidents every KPI counts. All of them today: IWMS records no exercises or merged
    incidents yet, and this is where they would be left out."""
    return incidents


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds())


def _fact(row: dict[str, Any], *, breached: set[int], escalations: dict, signals: dict) -> KpiFact:
    pk = row["id"]
    fact = KpiFact(
        incident_id=pk,
        organisation_id=row["organisation_id"],
        day=timezone.localtime(row["reported_at"]).date(),
        unit_id=row["owner_position__unit_id"],
        category_id=row["category_id"],
        severity=row["severity"],
        kind=row["kind"],
        items=1,
    )
    for measure, moment in (
        ("detect", row["occurred_at"]),
        ("ack", row["acknowledged_at"]),
        ("contain", row["contained_at"]),
    ):
        later, earlier = (row["reported_at"], moment) if measure == "detect" else (moment, row["reported_at"])
        seconds = _seconds(later, earlier)
        if seconds is not None:
            setattr(fact, f"{measure}_sum", seconds)
            setattr(fact, f"{measure}_n", 1)
    if row["status"] == IncidentStatus.CLOSED and row["closed_at"] is not None:
        fact.resolve_sum = _seconds(row["closed_at"], row["reported_at"]) or 0.0
        fact.resolve_n = 1
    fact.breached = int(pk in breached)
    fact.closed_once = int(row["status"] == IncidentStatus.CLOSED or row["reopened_count"] > 0)
    fact.reopened = int(row["reopened_count"] > 0)
    levels, lags = escalations.get(pk, (0, []))
    fact.escalated = int(levels > 0 or row["escalation_level"] > 0)
    fact.esc_lag_sum = sum(lags)
    fact.esc_lag_n = len(lags)
    for kind in signals.get(pk, ()):
        setattr(fact, SIGNAL_MEASURES[kind], 1)
    return fact


def facts_for(incident_ids: Iterable[int]) -> dict[int, KpiFact]:
    """The facts of the counted incidents among `incident_ids` (four queries)."""
    ids = list(incident_ids)
    if not ids:
        return {}
    rows = list(counted(Incident.objects.filter(pk__in=ids)).order_by().values(*INCIDENT_COLUMNS))
    breached = set(Breach.objects.filter(incident_id__in=ids).order_by().values_list("incident_id", flat=True))
    escalations: dict[int, tuple[int, list[float]]] = {}
    lags_of = Escalation.objects.filter(incident_id__in=ids).order_by().values_list("incident_id", "ack_lag")
    for incident_id, lag in lags_of:
        count, lags = escalations.get(incident_id, (0, []))
        if lag is not None:
            lags.append(max(0.0, lag.total_seconds()))
        escalations[incident_id] = (count + 1, lags)
    signals: dict[int, set[str]] = defaultdict(set)
    for incident_id, kind in (
        MaturitySignal.objects.filter(incident_id__in=ids).order_by().values_list("incident_id", "kind")
    ):
        if kind in SIGNAL_MEASURES:
            signals[incident_id].add(kind)
    return {row["id"]: _fact(row, breached=breached, escalations=escalations, signals=signals) for row in rows}


def measures_of(fact: KpiFact) -> tuple[float, ...]:
    return tuple(getattr(fact, name) for name in MEASURE_FIELDS)


# The category id of the rollup rows that sum every category: a dashboard without a category
# filter reads these, a few rows a day per unit, instead of one per category.
ALL_CATEGORIES = 0


def keys_of(fact: KpiFact) -> tuple[tuple[Any, ...], ...]:
    """The rollup rows a fact folds into: its category's, and the all-categories row."""
    return (
        (fact.day, fact.unit_id, fact.category_id, fact.severity, fact.kind),
        (fact.day, fact.unit_id, ALL_CATEGORIES, fact.severity, fact.kind),
    )
