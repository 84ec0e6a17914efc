"""The problem's moves: investigation, the workaround that makes it a known error, resolution
with the stability window, closing after it, and reopening when the fix did not hold. Each
asks `problems.policy` and goes through `run_transition` (lock, re-read, move, audit)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.problems.models import Problem, ProblemSettings
from incidents.problems.policy import (
    may_close,
    may_record_workaround,
    may_reopen_investigation,
    may_resolve,
    may_start_investigation,
)
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals
from iwms.transitions import run_transition


def _required(problem: Problem, value: str, field: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise PolicyError.on("validation.invalid", message, problem, field=field)
    return value


def start_investigation(*, problem: Problem, actor: User) -> Problem:
    with audited_refusals(actor=actor):
        may_start_investigation(actor, problem).enforce(problem, state=problem.status)
        return run_transition(
            problem, "start_investigation", actor=actor, action=AuditAction.UPDATE, message="Investigation started"
        )


def record_workaround(*, problem: Problem, actor: User, workaround: str, now: datetime | None = None) -> Problem:
    """The problem becomes (or stays) a known error with this workaround, published in the
    known-error register (the ledger's `kb_update`)."""
    with audited_refusals(actor=actor):
        may_record_workaround(actor, problem).enforce(problem, state=problem.status)
        text = _required(
            problem, workaround, "workaround", "Describe the workaround: what restores service, step by step."
        )
        return run_transition(
            problem,
            "record_workaround",
            actor=actor,
            action=AuditAction.KB_UPDATE,
            message="Workaround published: known error" if not problem.workaround else "Workaround revised",
            extra_changes={"workaround": [problem.workaround, text]},
            workaround=text,
            at=now or timezone.now(),
        )


def resolve_problem(
    *, problem: Problem, actor: User, root_cause: str, resolution: str, now: datetime | None = None
) -> Problem:
    """Resolved with its root cause and the validated fix; the stability window starts."""
    with audited_refusals(actor=actor):
        may_resolve(actor, problem).enforce(problem, state=problem.status)
        cause = _required(problem, root_cause, "root_cause", "Record the root cause.")
        fix = _required(problem, resolution, "resolution", "Record the fix and the evidence that it holds.")
        now = now or timezone.now()
        days = ProblemSettings.for_tenant_id(problem.organisation_id).stability_days
        stable_until = now + timedelta(days=days)
        return run_transition(
            problem,
            "resolve",
            actor=actor,
            action=AuditAction.RESOLVE,
            message=f"Resolved; stable if no recurrence for {days} days",
            extra_changes={"stable_until": [None, stable_until]},
            root_cause=cause,
            resolution=fix,
            at=now,
            stable_until=stable_until,
        )


def close_problem(*, problem: Problem, actor: User, now: datetime | None = None) -> Problem:
    """Closed by the owner once the stability window passed with no recurrence; the check runs
    on the locked row, so a recurrence linked at the same moment wins."""
    now = now or timezone.now()
    with audited_refusals(actor=actor), transaction.atomic():
        locked = Problem.objects.select_for_update().get(pk=problem.pk)
        may_close(actor, locked, now).enforce(locked, state=locked.status, stable_until=locked.stable_until)
        return run_transition(locked, "close", actor=actor, action=AuditAction.CLOSE, message="Closed", at=now)


def reopen_investigation(*, problem: Problem, actor: User, reason: str) -> Problem:
    """The fix did not hold: back under investigation, with the reason."""
    with audited_refusals(actor=actor):
        may_reopen_investigation(actor, problem).enforce(problem, state=problem.status)
        why = _required(problem, reason, "reason", "Say why the fix did not hold.")
        return run_transition(
            problem, "reopen_investigation", actor=actor, action=AuditAction.UPDATE, message=f"Reopened: {why}"
        )
