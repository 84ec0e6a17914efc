"""The KPI catalogue: each KPI defined once — its name, its formula in words and in code, its
unit, the seed it comes from and which items count — and computed from summed `Measures`
(one rollup row, or the sum of many), never from the incidents themselves.

Which items count, for every KPI: the tenant's incidents of every kind, counted in the period
of the day they were reported (in the tenant's time zone). IWMS records no exercises or merged
incidents yet; `assurance.facts.counted` is the one place that would leave them out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from incidents.choices import Severity

Sums = Mapping[str, float]

MINUTE = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class Kpi:
    key: str
    name: str
    formula: str
    unit: str
    seed: str
    counts: str
    lower_is_better: bool | None  # None: no better or worse (volume)
    compute: Callable[[Sums], float | None]
    # The list filter that shows the items behind the number (besides the dashboard's own).
    drill: Mapping[str, str]


def _mean(total: str, count: str, scale: float) -> Callable[[Sums], float | None]:
    def compute(sums: Sums) -> float | None:
        n = sums.get(count, 0)
        return sums.get(total, 0) / n / scale if n else None

    return compute


def _share(part: str, whole: str) -> Callable[[Sums], float | None]:
    def compute(sums: Sums) -> float | None:
        n = sums.get(whole, 0)
        return 100.0 * sums.get(part, 0) / n if n else None

    return compute


def _compliance(sums: Sums) -> float | None:
    n = sums.get("items", 0)
    return 100.0 * (n - sums.get("breached", 0)) / n if n else None


CATALOGUE: tuple[Kpi, ...] = (
    Kpi(
        "volume",
        "Incidents reported",
        "Count of the incidents reported in the period.",
        "items",
        "seed 001 (daily, weekly and monthly dashboards)",
        "every counted incident",
        None,
        lambda sums: float(sums.get("items", 0)),
        {},
    ),
    Kpi(
        "mttd",
        "Mean time to detect (MTTD)",
        "Mean of (reported at − occurred at) over the incidents reported.",
        "minutes",
        "seed 004",
        "every counted incident",
        True,
        _mean("detect_sum", "detect_n", MINUTE),
        {},
    ),
    Kpi(
        "mtta",
        "Mean time to acknowledge (MTTA)",
        "Mean of (acknowledged at − reported at) over the incidents acknowledged.",
        "minutes",
        "seed 002 Appendix B",
        "counted incidents that have been acknowledged",
        True,
        _mean("ack_sum", "ack_n", MINUTE),
        {},
    ),
    Kpi(
        "mttc",
        "Mean time to contain",
        "Mean of (contained at − reported at) over the incidents marked contained.",
        "minutes",
        "seed 002 Appendix B",
        "counted incidents marked contained",
        True,
        _mean("contain_sum", "contain_n", MINUTE),
        {},
    ),
    Kpi(
        "mttr",
        "Mean time to resolve (MTTR)",
        "Mean of (closed at − reported at) over the incidents closed now.",
        "hours",
        "seed 002 Appendix B",
        "counted incidents that are closed",
        True,
        _mean("resolve_sum", "resolve_n", HOUR),
        {"status": "closed"},
    ),
    Kpi(
        "breach_rate",
        "SLA breach rate",
        "Incidents with at least one breach (any clock, any cycle) ÷ incidents reported × 100.",
        "%",
        "seed 002 Appendix B (by severity)",
        "every counted incident",
        True,
        _share("breached", "items"),
        {},
    ),
    Kpi(
        "sla_compliance",
        "SLA compliance",
        "Incidents without any breach ÷ incidents reported × 100.",
        "%",
        "seed 001",
        "every counted incident",
        False,
        _compliance,
        {},
    ),
    Kpi(
        "reopen_rate",
        "Reopen rate",
        "Incidents reopened at least once ÷ incidents closed at least once × 100.",
        "%",
        "seed 002 Appendix B (by type)",
        "counted incidents closed at least once",
        True,
        _share("reopened", "closed_once"),
        {},
    ),
    Kpi(
        "escalation_rate",
        "Escalation rate",
        "Incidents escalated at least one level up the organogram ÷ incidents reported × 100.",
        "%",
        "seed 001",
        "every counted incident",
        True,
        _share("escalated", "items"),
        {},
    ),
    Kpi(
        "escalation_lag",
        "Escalation response lag",
        "Mean of (acknowledged at − escalated at) over the acknowledged escalations.",
        "minutes",
        "seed 002 Appendix B",
        "acknowledged escalations of counted incidents",
        True,
        _mean("esc_lag_sum", "esc_lag_n", MINUTE),
        {},
    ),
)

BY_KEY = {kpi.key: kpi for kpi in CATALOGUE}

# Targets the seeds give: the default SLA times per severity (seed 000 §9, DESIGN.md "Time"),
# in the KPI's unit. Drawn beside the by-severity breakdown of MTTA and MTTR.
SEVERITY_TARGETS: dict[str, dict[str, float]] = {
    "mtta": {Severity.SEV1: 5, Severity.SEV2: 15, Severity.SEV3: 60, Severity.SEV4: 240},
    "mttr": {Severity.SEV1: 1, Severity.SEV2: 4, Severity.SEV3: 24, Severity.SEV4: 72},
}


def values(sums: Sums) -> dict[str, float | None]:
    """Every KPI of the catalogue over `sums`."""
    return {kpi.key: kpi.compute(sums) for kpi in CATALOGUE}


def change(kpi: Kpi, now: float | None, before: float | None) -> str:
    """ "better", "worse" or "same" against the previous period ("" when either is missing)."""
    if now is None or before is None or kpi.lower_is_better is None:
        return ""
    if abs(now - before) < 1e-9:
        return "same"
    return "better" if (now < before) == kpi.lower_is_better else "worse"
