"""Who may do what to a problem. Pages grey out what this refuses, services refuse it."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from arc.roles import roles_of
from incidents.core.policy import may_report
from incidents.models import Incident
from incidents.problems.choices import ProblemStatus
from incidents.problems.models import Problem
from iwms.decisions import Decision
from iwms.models import User

S = ProblemStatus


def may_view_problems(user: User) -> Decision:
    """Problems and known errors are the organisation's own knowledge: every person holding a
    position in its organogram reads them; auditors, regulators and providers do not."""
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, "Only people of an organisation read its problems.")
    if not roles_of(user).positions:
        return Decision(False, "Problems are read by people holding a position in the organisation.")
    return Decision(True)


def may_raise_problem(user: User) -> Decision:
    """Raising a problem is for the organisation's own people, as reporting is."""
    if not (seen := may_view_problems(user)):
        return seen
    return may_report(user)


def _other_tenant(user: User, problem: Problem) -> Decision | None:
    if not user.is_authenticated or user.organisation_id != problem.organisation_id:
        return Decision(False, "This problem belongs to another organisation.")
    return None


def _state(problem: Problem, allowed: tuple[str, ...], what: str) -> Decision | None:
    if problem.status not in allowed:
        return Decision(
            False,
            f"{what} is not possible while the problem is {problem.get_status_display()}.",
            "transition.not_allowed",
        )
    return None


def _owner_or_responsible(user: User, problem: Problem) -> Decision | None:
    if user.pk not in (problem.owner_id, problem.responsible_id):
        return Decision(
            False, f"Only the owner, {problem.owner}, or the responsible person, {problem.responsible}, does this."
        )
    return None


def _first(*refusals: Decision | None) -> Decision:
    return next((refusal for refusal in refusals if refusal is not None), Decision(True))


def may_start_investigation(user: User, problem: Problem) -> Decision:
    return _first(
        _other_tenant(user, problem),
        _owner_or_responsible(user, problem),
        _state(problem, (S.LOGGED,), "Starting the investigation"),
    )


def may_record_workaround(user: User, problem: Problem) -> Decision:
    return _first(
        _other_tenant(user, problem),
        _owner_or_responsible(user, problem),
        _state(problem, (S.LOGGED, S.UNDER_INVESTIGATION, S.KNOWN_ERROR), "Recording a workaround"),
    )


def may_resolve(user: User, problem: Problem) -> Decision:
    return _first(
        _other_tenant(user, problem),
        _owner_or_responsible(user, problem),
        _state(problem, (S.UNDER_INVESTIGATION, S.KNOWN_ERROR), "Resolving"),
    )


def may_reopen_investigation(user: User, problem: Problem) -> Decision:
    return _first(
        _other_tenant(user, problem),
        _owner_or_responsible(user, problem),
        _state(problem, (S.RESOLVED,), "Reopening the investigation"),
    )


def may_close(user: User, problem: Problem, now: datetime | None = None) -> Decision:
    """The owner closes, once the stability window has passed with no recurrence linked."""
    if (refusal := _other_tenant(user, problem)) is not None:
        return refusal
    if user.pk != problem.owner_id:
        return Decision(False, f"Only the owner, {problem.owner}, closes the problem.")
    if (refusal := _state(problem, (S.RESOLVED,), "Closing")) is not None:
        return refusal
    now = now or timezone.now()
    if problem.stable_until is None or now < problem.stable_until:
        until = timezone.localtime(problem.stable_until).strftime("%-d %b %Y, %H:%M") if problem.stable_until else "?"
        return Decision(
            False,
            f"The stability window runs until {until}: the problem closes only after it has passed with no "
            "recurrence linked.",
            "problem.stability_window",
        )
    return Decision(True)


def may_link_incident(user: User, problem: Problem, incident: Incident) -> Decision:
    """Linking is for the problem's owner and responsible person, and for the incident's: either
    side may say "this incident is explained by that problem"."""
    if (refusal := _other_tenant(user, problem)) is not None:
        return refusal
    if incident.organisation_id != problem.organisation_id:
        return Decision(False, "The incident belongs to another organisation.", "tenant.cross_reference")
    if user.pk not in (problem.owner_id, problem.responsible_id, incident.owner_id, incident.responsible_id):
        return Decision(
            False,
            "Only the problem's owner or responsible person, or the incident's, links them.",
        )
    if problem.status == S.CLOSED:
        return Decision(False, "The problem is closed; raise a new one.", "transition.not_allowed")
    return Decision(True)
