"""`PolicyError` and the one catalogue of stable refusal codes.

Every refusal in IWMS — a forbidden action, an impossible transition, a reference across
tenants — raises `PolicyError(code, message, **context)`. The code is stable (API clients and
tests match on it), the message is for people, and the context says what was refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    code: str
    http_status: int
    description: str


_CODES = [
    ErrorCode("access_denied", 403, "The actor may not do this to this object."),
    ErrorCode("tenant.cross_reference", 403, "A row would reference a row of another tenant."),
    ErrorCode("tenant.missing", 403, "The actor belongs to no tenant."),
    ErrorCode("transition.not_allowed", 409, "The object's state does not allow this transition."),
    ErrorCode("transition.forbidden", 403, "The actor may not perform this transition."),
    ErrorCode("transition.conflict", 409, "Another change to the object happened at the same time."),
    ErrorCode("validation.invalid", 422, "The input is not valid."),
    ErrorCode("anchor.immutable", 409, "An immutable anchor cannot be changed after creation."),
    ErrorCode("organogram.cycle", 422, "The change would make a position or unit its own ancestor."),
    ErrorCode("organogram.position_filled", 409, "The position already has a holder of that kind."),
    ErrorCode("organogram.position_inactive", 409, "The position has been abolished."),
    ErrorCode("organogram.no_position", 409, "The person holds no position."),
    ErrorCode("organogram.assignment_closed", 409, "The assignment has already ended."),
    ErrorCode("arc.self_delegation", 422, "Responsibility cannot be delegated to oneself."),
    ErrorCode("arc.no_accountability_rule", 409, "No accountability rule covers this item."),
    ErrorCode("audit.chain_broken", 500, "The audit chain does not verify."),
    ErrorCode("category.governed_change", 409, "A category's name or code changes only through governance."),
]

CATALOGUE: dict[str, ErrorCode] = {entry.code: entry for entry in _CODES}


class PolicyError(Exception):
    """A refusal with a stable code from `CATALOGUE`.

    `context` carries what was refused (ids, states, reasons); it is written to the audit
    ledger with the refusal. `tenant` (an Organisation) says whose ledger records it.
    """

    def __init__(self, code: str, message: str = "", *, tenant: Any = None, **context: Any):
        if code not in CATALOGUE:
            raise ValueError(f"unknown PolicyError code {code!r}; add it to iwms.errors.CATALOGUE")
        self.code = code
        self.message = message or CATALOGUE[code].description
        self.tenant = tenant
        self.context = context
        self.audited = False  # True once handled without a tenant ledger to write to
        self.audit_event_id: int | None = None
        super().__init__(f"{code}: {self.message}")

    @property
    def http_status(self) -> int:
        return CATALOGUE[self.code].http_status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "context": self.context}
