"""`Decision`: the answer of every policy question — allowed or not, the reason a person reads,
and the refusal code the service raises with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iwms.errors import PolicyError


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    code: str = "access_denied"

    def __bool__(self) -> bool:
        return self.allowed

    def enforce(self, obj: Any, **context: Any) -> None:
        """Raise the refusal about `obj` (a tenant-owned row) when not allowed: how a service
        refuses what its policy question refused, with the same reason the page shows."""
        if not self.allowed:
            raise PolicyError.on(self.code or "access_denied", self.reason, obj, **context)


ALLOWED = Decision(True)
