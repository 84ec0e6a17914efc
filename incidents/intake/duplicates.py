"""Duplicate detection before a report is confirmed: open incidents of the same tenant near in
time that share the category or the location and read alike. Explainable: each candidate says
which of those signals matched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from incidents.choices import FINAL_STATUSES
from incidents.intake.proposals import tokens
from incidents.models import Incident

WINDOW = timedelta(hours=24)
MIN_SIMILARITY = 0.15
MAX_CANDIDATES = 5


@dataclass(frozen=True)
class DuplicateCandidate:
    incident: Incident
    similarity: float
    reasons: tuple[str, ...]


def _words(text: str) -> set[str]:
    return {t for t in tokens(text) if " " not in t}


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the content words."""
    return _overlap(_words(a), _words(b))


def _overlap(left: set[str], right: set[str]) -> float:
    return len(left & right) / len(left | right) if left and right else 0.0


def find_duplicates(
    *, tenant_id: int, category_code: str, location: str, occurred_at: datetime, text: str
) -> list[DuplicateCandidate]:
    near = (
        Incident.objects.for_tenant(tenant_id)
        .exclude(status__in=FINAL_STATUSES)  # a closed or merged incident is no candidate
        .filter(occurred_at__range=(occurred_at - WINDOW, occurred_at + WINDOW))
        .filter(Q(category__code=category_code) | Q(location__iexact=location.strip()))
        .select_related("category")
        .only("organisation_id", "reference", "title", "narrative", "location", "occurred_at", "category__code")
        .order_by("-occurred_at")[:50]
    )
    candidates = []
    words = _words(text)  # once, not once per candidate
    for incident in near:
        score = _overlap(words, _words(f"{incident.title} {incident.narrative}"))
        if score < MIN_SIMILARITY:
            continue
        reasons = ["similar description"]
        if incident.category.code == category_code:
            reasons.append("same category")
        if incident.location.strip().lower() == location.strip().lower():
            reasons.append("same location")
        hours = abs((incident.occurred_at - occurred_at).total_seconds()) / 3600
        reasons.append(f"{hours:.0f} h apart" if hours >= 1 else "within the hour")
        candidates.append(DuplicateCandidate(incident, score, tuple(reasons)))
    return sorted(candidates, key=lambda c: -c.similarity)[:MAX_CANDIDATES]
