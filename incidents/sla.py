"""SLA clocks: acknowledge, contain and resolve deadlines by severity.

Defaults from the seeds (002 §5, 004 severity response targets): SEV-1 5 min / 1 h,
SEV-2 15 min / 4 h, SEV-3 1 h / 24 h, SEV-4 4 h / 72 h (acknowledge / resolve); contain falls
halfway between the two. A tenant sets its own targets in `SlaPolicy` rows; a category names
its policy or uses the tenant's default (`policy_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incidents.choices import Severity

DEFAULT_TARGETS: dict[str, tuple[timedelta, timedelta]] = {
    Severity.SEV1: (timedelta(minutes=5), timedelta(hours=1)),
    Severity.SEV2: (timedelta(minutes=15), timedelta(hours=4)),
    Severity.SEV3: (timedelta(hours=1), timedelta(hours=24)),
    Severity.SEV4: (timedelta(hours=4), timedelta(hours=72)),
}


@dataclass(frozen=True)
class Deadlines:
    ack_due_at: datetime
    contain_due_at: datetime
    resolve_due_at: datetime

    def as_rows(self) -> list[tuple[str, datetime]]:
        return [("Acknowledge", self.ack_due_at), ("Contain", self.contain_due_at), ("Resolve", self.resolve_due_at)]


def policy_for(category: Any) -> Any:
    """The category's SLA policy, else the tenant's default policy, else None (seed defaults)."""
    from incidents.models import SlaPolicy

    if category.sla_policy_id is not None:
        return category.sla_policy
    return SlaPolicy.objects.filter(organisation_id=category.organisation_id, is_default=True).first()


def targets(severity: str, policy: Any = None) -> tuple[timedelta, timedelta]:
    if policy is None:
        return DEFAULT_TARGETS[severity]
    ack, resolve = policy.minutes_for(severity)
    return timedelta(minutes=ack), timedelta(minutes=resolve)


def deadlines_for(severity: str, start: datetime, policy: Any = None) -> Deadlines:
    """Deadlines for an incident of `severity` starting at `start` under `policy` (an
    `SlaPolicy`, or None for the seed defaults)."""
    acknowledge, resolve = targets(severity, policy)
    return Deadlines(
        ack_due_at=start + acknowledge,
        contain_due_at=start + (acknowledge + resolve) / 2,
        resolve_due_at=start + resolve,
    )
