"""`PolicyError` and the one catalogue of stable refusal codes.

Every refusal in IWMS — a forbidden action, an impossible transition, a reference across
tenants — raises `PolicyError(code, message, **context)`. The code is stable (API clients and
tests match on it), the message is for people, and the context says what was refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


class RefusalKind:
    """What a refusal is about, derived from its code's status: the person's *input* (a field
    to correct, 422/413), their *access* (who they are may not do this, 401/403/429), or the
    object's *state* (not now, 409; and the rare 500)."""

    INPUT = "input"
    ACCESS = "access"
    STATE = "state"


_KIND_OF_STATUS = {413: RefusalKind.INPUT, 422: RefusalKind.INPUT, 401: RefusalKind.ACCESS}
_KIND_OF_STATUS |= {403: RefusalKind.ACCESS, 429: RefusalKind.ACCESS}


@dataclass(frozen=True)
class ErrorCode:
    code: str
    http_status: int
    description: str
    declared_kind: str = ""  # only where the status alone would say the wrong thing

    @property
    def kind(self) -> str:
        return self.declared_kind or _KIND_OF_STATUS.get(self.http_status, RefusalKind.STATE)


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
    ErrorCode("organogram.leaves_unrouted", 409, "The change would leave open incidents routed to nobody."),
    ErrorCode("arc.self_delegation", 422, "Responsibility cannot be delegated to oneself."),
    ErrorCode("arc.no_accountability_rule", 409, "No accountability rule covers this item."),
    ErrorCode("audit.chain_broken", 500, "The audit chain does not verify."),
    ErrorCode("audit.maintenance_forbidden", 403, "The database login is not a member of the maintenance role."),
    ErrorCode("category.governed_change", 409, "A category's name or code changes only through governance."),
    ErrorCode("workflow.template_missing", 409, "No workflow template exists for the item's category."),
    ErrorCode("workflow.steps_incomplete", 409, "Mandatory steps are neither completed nor justified not applicable."),
    ErrorCode("workflow.subworkflow_open", 409, "A sub-workflow (information request) is still open."),
    ErrorCode(
        "request.read_only_recipient", 422, "Auditors and regulators read; they are never asked for information."
    ),
    ErrorCode("step.justification_required", 422, "A mandatory step marked not applicable needs a real justification."),
    ErrorCode("evidence.missing", 409, "A kind of evidence the step requires is missing."),
    ErrorCode("evidence.too_large", 413, "The uploaded file is larger than the evidence size limit."),
    ErrorCode("evidence.content_mismatch", 422, "The file's bytes do not match the declared kind of evidence."),
    ErrorCode("evidence.invalidated", 409, "The evidence has already been invalidated or superseded."),
    ErrorCode("review.pack_invalid", 422, "A review pack does not follow the documented format."),
    ErrorCode("closure.segregation_of_duties", 403, "Nobody decides on what they reported or are responsible for."),
    ErrorCode("closure.not_supervisor", 403, "Only the holder one level up (or above, after escalation) decides."),
    ErrorCode("closure.checklist_incomplete", 422, "Approval needs the whole closure checklist."),
    ErrorCode("closure.findings_open", 409, "The last review has open findings; approve only with an override."),
    ErrorCode("closure.subworkflows_open", 409, "A sub-workflow is still open."),
    ErrorCode("reopen.approver_not_elevated", 403, "A reopen needs an approver above the original decider."),
    ErrorCode("merge.not_mergeable", 409, "A closed or merged incident takes no part in a merge or split."),
    ErrorCode("merge.reconciliation_failed", 409, "A merge or split failed its integrity checks and was rolled back."),
    ErrorCode("escalation.already_acknowledged", 409, "The escalation has already been acknowledged."),
    ErrorCode("grant.expired", 403, "The grant has expired or was revoked; its scope is no longer visible."),
    ErrorCode("grant.invalid_scope", 422, "A grant names either a set of incidents or a category subtree."),
    ErrorCode("grant.grantee_not_external", 422, "Grants go to auditors, regulators and external providers."),
    ErrorCode("grant.not_owner", 403, "Only the owner of the incidents requests a grant on them."),
    ErrorCode(
        "grant.no_standing",
        403,
        "A grant over a category subtree is requested by an owner of incidents in it, its custodian or a tenant admin.",
    ),
    ErrorCode("grant.not_issuable", 409, "The grant has already been issued, has expired or was revoked."),
    ErrorCode("response.commander_required", 409, "A SEV-1 or SEV-2 incident leaves triage only with a commander."),
    ErrorCode("response.role_held", 409, "The response role has a holder; it changes hands only by a hand-over."),
    ErrorCode("response.handover_closed", 409, "The hand-over has already been accepted, declined or withdrawn."),
    ErrorCode("response.note_locked", 409, "A note is immutable once its edit window has passed."),
    ErrorCode("response.review_required", 409, "Closure needs the accepted post-incident review and its actions."),
    ErrorCode("response.review_incomplete", 422, "A post-incident review is submitted with every section written."),
    ErrorCode("response.review_state", 409, "The post-incident review is not in a state that allows this."),
    ErrorCode("auth.locked_out", 429, "Too many failed sign-ins; the account or address is locked out for a while."),
    ErrorCode("auth.second_factor_required", 403, "The account must sign in with a second factor first."),
    # A wrong second factor is a failed sign-in, whatever the form shows: access, not input.
    ErrorCode("auth.second_factor_invalid", 422, "The one-time or recovery code is not valid.", RefusalKind.ACCESS),
    ErrorCode("problem.similar_exists", 422, "Active problems like this one exist; link to one or confirm it differs."),
    ErrorCode("problem.stability_window", 409, "The problem's stability window has not passed without recurrence."),
    ErrorCode("problem.already_linked", 409, "The incident is already linked to this problem."),
    ErrorCode("token.invalid", 401, "The API token is unknown, revoked or expired, or its account may not use it."),
    ErrorCode("not_found", 404, "No such object, or none the actor may see."),
    ErrorCode("api.malformed", 400, "The request body is not valid JSON.", RefusalKind.INPUT),
    ErrorCode("api.method_not_allowed", 405, "The endpoint does not take this HTTP method."),
    ErrorCode("api.unsupported_media_type", 415, "Send JSON (Content-Type: application/json).", RefusalKind.INPUT),
    ErrorCode("api.idempotency_conflict", 409, "The Idempotency-Key was used before with another request."),
    ErrorCode("api.rate_limited", 429, "Too many requests with this token; retry after the time given."),
]

CATALOGUE: dict[str, ErrorCode] = {entry.code: entry for entry in _CODES}


class _ContextEncoder(DjangoJSONEncoder):
    """Rows become `app.model:pk`; anything else JSON cannot hold becomes its text, so a
    refusal's context can always be shown and audited."""

    def default(self, o: Any) -> Any:
        meta = getattr(o, "_meta", None)
        if meta is not None and hasattr(o, "pk"):
            return f"{meta.label_lower}:{o.pk}"
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def plain_context(context: dict[str, Any]) -> dict[str, Any]:
    """`context` as plain JSON values (what the ledger stores and the API returns)."""
    return json.loads(json.dumps(context, cls=_ContextEncoder))


def _restore_policy_error(
    code: str, message: str, tenant: Any, context: dict[str, Any], audited: bool, audit_event_id: int | None
) -> PolicyError:
    error = PolicyError(code, message, tenant=tenant, **context)
    error.audited = audited
    error.audit_event_id = audit_event_id
    return error


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

    @classmethod
    def on(cls, code: str, message: str, obj: Any, **context: Any) -> PolicyError:
        """A refusal about one tenant-owned row: its tenant's ledger records it, naming the row."""
        return cls(
            code, message, tenant=obj.organisation, object_type=obj._meta.label_lower, object_id=str(obj.pk), **context
        )

    @property
    def http_status(self) -> int:
        return CATALOGUE[self.code].http_status

    @property
    def kind(self) -> str:
        """`RefusalKind` of the code: input, access or state."""
        return CATALOGUE[self.code].kind

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "message": self.message,
            "context": plain_context(self.context),
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as `cls(*self.args)`, and args holds "code: message", which is no
        # code; rebuild from the parts so a refusal survives a trip through a task queue.
        return (
            _restore_policy_error,
            (self.code, self.message, self.tenant, self.context, self.audited, self.audit_event_id),
        )
