"""SLA clocks: acknowledge, contain and resolve deadlines by severity.

Defaults from the seeds (002 §5, 004 severity response targets): SEV-1 5 min / 1 h,
SEV-2 15 min / 4 h, SEV-3 1 h / 24 h, SEV-4 4 h / 72 h (acknowledge / resolve); contain falls
halfway between the two. Tenant and category policies arrive with the SLA issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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


def deadlines_for(severity: str, start: datetime) -> Deadlines:
    acknowledge, resolve = DEFAULT_TARGETS[severity]
    return Deadlines(
        ack_due_at=start + acknowledge,
        contain_due_at=start + (acknowledge + resolve) / 2,
        resolve_due_at=start + resolve,
    )
