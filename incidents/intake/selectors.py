"""Reads of the intake slice other slices use: the likely duplicates of an existing incident."""

from __future__ import annotations

from incidents.intake.duplicates import DuplicateCandidate, find_duplicates
from incidents.models import Incident


def duplicates_of(incident: Incident) -> list[DuplicateCandidate]:
    """Open incidents that read like `incident` (the same signals the wizard warns with),
    itself left out: what the merge recommendation offers (seed 002 §12.1)."""
    found = find_duplicates(
        tenant_id=incident.organisation_id,
        category_code=incident.category.code,
        location=incident.location,
        occurred_at=incident.occurred_at,
        text=f"{incident.title} {incident.narrative}",
    )
    return [candidate for candidate in found if candidate.incident.pk != incident.pk]
