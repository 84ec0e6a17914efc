"""The maturity score of a unit (its organogram subtree) over a period, from the maturity
signals IWMS records, summed in the KPI rollups:

    rate_i  = the share of the unit's incidents showing signal i (0…1)
    penalty = Σ weight_i × rate_i ÷ Σ weight_i
    score   = 100 × (1 − penalty)                        (100: no signal at all)
    level   = 5 optimising ≥ 90, 4 managed ≥ 75, 3 defined ≥ 55, 2 repeatable ≥ 35, else 1 initial

Weights are the tenant's (`MaturityWeights`, defaults when it has none). What would raise the
score most is the signal with the largest weight × rate: halving it gains half its share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from incidents.assurance.models import MaturityWeights

# signal key → (label, numerator measure, denominator measure)
SIGNALS = {
    "breaches": ("incidents with an SLA breach", "breached", "items"),
    "reopens": ("closed incidents reopened", "reopened", "closed_once"),
    "escalated_to_top": ("escalations that reached the top of the hierarchy", "sig_top", "items"),
    "review_overrides": ("closures over open review findings", "sig_override", "closed_once"),
    "vacant_supervisors": ("vacant supervisor positions skipped", "sig_vacant", "items"),
    "mismatches": ("incidents routed to the wrong person or role (organogram mismatch)", "sig_mismatch", "items"),
}
LEVELS = ((90, 5, "optimising"), (75, 4, "managed"), (55, 3, "defined"), (35, 2, "repeatable"), (0, 1, "initial"))


@dataclass(frozen=True)
class Contribution:
    key: str
    label: str
    rate: float
    weight: int
    points: float  # score points this signal costs now

    @property
    def percent(self) -> float:
        return 100.0 * self.rate

    @property
    def half_points(self) -> float:
        """What halving the rate would win back."""
        return self.points / 2


@dataclass(frozen=True)
class Maturity:
    score: int | None
    level: int | None
    level_name: str
    contributions: tuple[Contribution, ...]

    @property
    def raise_by(self) -> Contribution | None:
        """The signal whose reduction would raise the score most (None when none costs points)."""
        worst = max(self.contributions, key=lambda c: c.points, default=None)
        return worst if worst is not None and worst.points > 0 else None


def weights_for(tenant_id: int) -> dict[str, int]:
    row = MaturityWeights.objects.filter(organisation_id=tenant_id).first() or MaturityWeights()
    return {key: getattr(row, key) for key in SIGNALS}


def level_of(score: float) -> tuple[int, str]:
    return next((level, name) for floor, level, name in LEVELS if score >= floor)


def maturity(sums: Mapping[str, float], weights: Mapping[str, int]) -> Maturity:
    """The score of `sums` (a unit's summed measures); no score without incidents."""
    if not sums.get("items"):
        return Maturity(None, None, "no incidents in the period", ())
    total_weight = sum(weights.values()) or 1
    contributions = []
    for key, (label, part, whole) in SIGNALS.items():
        base = sums.get(whole) or 0
        rate = min(1.0, (sums.get(part) or 0) / base) if base else 0.0
        points = 100.0 * weights[key] * rate / total_weight
        contributions.append(Contribution(key, label, rate, weights[key], points))
    score = round(100.0 - sum(c.points for c in contributions))
    level, name = level_of(score)
    return Maturity(score, level, name, tuple(contributions))
