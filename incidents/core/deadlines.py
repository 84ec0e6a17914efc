"""SLA clocks: acknowledge, contain, resolve and closure-decision deadlines by severity, and
whether a missed resolve deadline escalates.

Defaults from the seeds (002 §5, 004 severity response targets): SEV-1 5 min / 1 h,
SEV-2 15 min / 4 h, SEV-3 1 h / 24 h, SEV-4 4 h / 72 h (acknowledge / resolve); contain falls
halfway between the two. The closure decision (pending closure → a decision) is due 4 h /
8 h / 24 h / 72 h after the review hands the incident to the deciders. SEV-4 does not
escalate (seed 003: "scheduled resolution, no escalation required"); its breach is still
recorded. A tenant sets its own targets in `SlaPolicy` rows; a category names its policy or
uses the tenant's default (`policy_for`).
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
DEFAULT_DECISION: dict[str, timedelta] = {
    Severity.SEV1: timedelta(hours=4),
    Severity.SEV2: timedelta(hours=8),
    Severity.SEV3: timedelta(hours=24),
    Severity.SEV4: timedelta(hours=72),
}
DEFAULT_ESCALATES: dict[str, bool] = {
    Severity.SEV1: True,
    Severity.SEV2: True,
    Severity.SEV3: True,
    Severity.SEV4: False,
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


def decision_target(severity: str, policy: Any = None) -> timedelta:
    """How long the deciders have for the closure decision once the incident is pending closure."""
    if policy is None:
        return DEFAULT_DECISION[severity]
    return timedelta(minutes=getattr(policy, f"{severity}_decision_minutes"))


def escalates(severity: str, policy: Any = None) -> bool:
    """Whether a missed resolve deadline of `severity` escalates up the organogram."""
    if policy is None:
        return DEFAULT_ESCALATES[severity]
    return getattr(policy, f"{severity}_escalates")


def deadlines_for(severity: str, start: datetime, policy: Any = None) -> Deadlines:
    """Deadlines for an incident of `severity` starting at `start` under `policy` (an
    `SlaPolicy`, or None for the seed defaults)."""
    acknowledge, resolve = targets(severity, policy)
    return Deadlines(
        ack_due_at=start + acknowledge,
        contain_due_at=start + (acknowledge + resolve) / 2,
        resolve_due_at=start + resolve,
    )
