"""The maturity roadmap export (seed 000 §16) as JSON: the score, level and trend of the
dashboard's unit (or tenant), each unit below it with what would raise it most, the weights
and the formula — the same figures the dashboard shows."""

from __future__ import annotations

from typing import Any

from incidents.assurance import maturity as maturity_rules
from incidents.assurance.maturity import Maturity
from incidents.assurance.selectors import Dashboard

FORMAT = "iwms.maturity-roadmap/1"


def _score(score: Maturity) -> dict[str, Any]:
    raise_by = score.raise_by
    return {
        "score": score.score,
        "level": score.level,
        "level_name": score.level_name,
        "signals": [
            {
                "key": c.key,
                "label": c.label,
                "rate": round(c.rate, 4),
                "weight": c.weight,
                "points_lost": round(c.points, 2),
            }
            for c in score.contributions
        ],
        "raise_by": None
        if raise_by is None
        else {"signal": raise_by.key, "label": raise_by.label, "halving_gains_points": round(raise_by.half_points, 2)},
    }


def roadmap(board: Dashboard, weights: dict[str, int]) -> dict[str, Any]:
    scope = board.scope
    return {
        "format": FORMAT,
        "unit": None if board.unit is None else {"id": board.unit.pk, "code": board.unit.code, "name": board.unit.name},
        "period": {
            "first_day": scope.start.isoformat(),
            "last_day": scope.last_day.isoformat(),
            "length": scope.period,
        },
        "formula": (maturity_rules.__doc__ or "").strip(),
        "weights": weights,
        "levels": [{"level": level, "name": name, "from_score": floor} for floor, level, name in maturity_rules.LEVELS],
        "incidents": int(board.current["items"]),
        **_score(board.maturity),
        "trend": [
            {
                "first_day": bucket.drill["reported_from"].isoformat(),
                "last_day": bucket.drill["reported_to"].isoformat(),
                "incidents": int(bucket.sums["items"]),
                "score": score.score,
                "level": score.level,
            }
            for bucket, score in board.maturity_trend
        ],
        "units": [
            {
                "id": row.drill["unit"],
                "name": row.label,
                "incidents": int(row.sums["items"]),
                **_score(board.unit_maturity[row.drill["unit"]]),
            }
            for row in board.by_unit
        ],
    }
