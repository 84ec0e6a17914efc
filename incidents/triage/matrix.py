"""The triage matrix (seed 002 §3.2): four dimensions — confidence, blast radius, asset
criticality, business impact — each with four levels, and the impact × urgency priority grid
(seed 001, as iTop's). Pure functions: the proposal is explainable from its inputs alone."""

from __future__ import annotations

from dataclasses import dataclass, field

DIMENSIONS = ("confidence", "blast_radius", "asset_criticality", "business_impact")
DIMENSION_LABELS = {
    "confidence": "Confidence",
    "blast_radius": "Blast radius",
    "asset_criticality": "Asset criticality",
    "business_impact": "Business impact",
}
LEVELS = (1, 2, 3, 4)

# Level 1 is the least, level 4 the most. A tenant may reword any level (`TriageSettings.levels`).
DEFAULT_LEVELS: dict[str, list[tuple[str, str]]] = {
    "confidence": [
        ("Unconfirmed", "A single signal nobody has checked yet."),
        ("Plausible", "The report is consistent with what is known, not yet corroborated."),
        ("Likely", "Corroborated by a second source or a first check."),
        ("Confirmed", "Seen and verified on site or in the system."),
    ],
    "blast_radius": [
        ("One person or asset", "Limited to a single person, machine or account."),
        ("One team or area", "A crew, a shift, a section of a plant or one system's users."),
        ("One site or service", "A whole site, a plant, or a service many depend on."),
        ("Several sites or all", "More than one site, or the organisation as a whole."),
    ],
    "asset_criticality": [
        ("Low", "Easily replaced; no production or safety role."),
        ("Moderate", "Supports production; a workaround exists."),
        ("High", "Production or a key service stops without it."),
        ("Critical", "Safety-critical, regulated, or the crown jewels."),
    ],
    "business_impact": [
        ("Negligible", "No measurable loss; an inconvenience."),
        ("Minor", "Small, contained loss or delay."),
        ("Major", "Significant loss, a missed commitment or a reportable event."),
        ("Severe", "Harm to people, a regulatory breach, or a production stop."),
    ],
}

URGENCY_LEVELS = [
    ("Low", "Can wait for scheduled work."),
    ("Medium", "Within the working day."),
    ("High", "Within the hour; people are blocked."),
    ("Critical", "Now; harm grows by the minute."),
]


def default_grid() -> dict[str, str]:
    """impact × urgency → priority, keyed "impact,urgency" (both 1–4): the sum of the two levels
    decides, as in iTop's grid (8–7 → P1, 6 → P2, 5–4 → P3, below → P4)."""
    grid = {}
    for impact in LEVELS:
        for urgency in LEVELS:
            total = impact + urgency
            grid[f"{impact},{urgency}"] = "p1" if total >= 7 else "p2" if total == 6 else "p3" if total >= 4 else "p4"
    return grid


@dataclass(frozen=True)
class Proposal:
    impact: int
    severity: str
    priority: str
    reasons: list[str] = field(default_factory=list)


def levels_for(overrides: dict | None) -> dict[str, list[tuple[str, str]]]:
    """The tenant's wording of each dimension's levels: its overrides over the defaults."""
    levels = {name: list(rows) for name, rows in DEFAULT_LEVELS.items()}
    for name, rows in (overrides or {}).items():
        if name in levels and isinstance(rows, list) and len(rows) == len(LEVELS):
            levels[name] = [(str(label), str(description)) for label, description in rows]
    return levels


def propose(
    scores: dict[str, int], urgency: int, *, grid: dict[str, str] | None, levels: dict | None = None
) -> Proposal:
    """Severity from the matrix and priority from the grid (or from the severity when the tenant
    keeps no grid). The impact is the highest of blast radius, asset criticality and business
    impact; an unconfirmed report is proposed one severity lower unless its impact is the
    highest (precaution: a possibly catastrophic event is treated as one until shown otherwise)."""
    words = levels_for(levels)
    impact = max(scores["blast_radius"], scores["asset_criticality"], scores["business_impact"])
    drivers = [DIMENSION_LABELS[name].lower() for name in DIMENSIONS[1:] if scores[name] == impact]
    reasons = [f"Impact {impact} ({words['business_impact'][impact - 1][0].lower()} level) from {', '.join(drivers)}."]
    number = 5 - impact
    if scores["confidence"] == 1 and impact < 4:
        number = min(number + 1, 4)
        reasons.append("Unconfirmed: proposed one severity lower until it is checked.")
    elif scores["confidence"] == 1:
        reasons.append("Unconfirmed, but the impact is the highest: kept severe as a precaution.")
    severity = f"sev{number}"
    if grid is not None:
        priority = grid.get(f"{impact},{urgency}") or default_grid()[f"{impact},{urgency}"]
        reasons.append(
            f"Priority from the grid: impact {impact} × urgency {urgency} ({URGENCY_LEVELS[urgency - 1][0].lower()})."
        )
    else:
        priority = f"p{number}"
        reasons.append("Priority follows the severity (this organisation keeps no impact × urgency grid).")
    return Proposal(impact=impact, severity=severity, priority=priority, reasons=reasons)


def rank(value: str) -> int:
    """1 for SEV-1/P1 (the most) … 4 for SEV-4/P4."""
    return int(value[-1])
