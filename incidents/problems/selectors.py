"""Reads of problems that depend on who asks: one visibility queryset and what the pages show."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from arc.cross_tenant import not_found
from incidents.models import Incident
from incidents.problems.choices import ProblemStatus
from incidents.problems.models import Problem, ProblemIncidentLink
from incidents.problems.policy import may_view_problems
from iwms.models import AuditEvent, User

LIST_RELATED = ("category", "owner", "responsible")


def problems_for_user(user: User) -> QuerySet[Problem]:
    """The one visibility rule: every problem of the user's tenant, for its own people."""
    if not may_view_problems(user):
        return Problem.objects.none()
    return Problem.objects.for_tenant(user.organisation_id).select_related(*LIST_RELATED)


def get_problem_for_user(user: User, reference: str) -> Problem:
    """A problem `problems_for_user(user)` holds; 404 for any other, so references do not leak."""
    problem = problems_for_user(user).select_related("owner_position", "raised_by", "raised_from", "unit")
    found = problem.filter(reference=reference).first()
    if found is None:
        raise not_found(user, Problem, "No such problem.", reference=reference)
    return found


def filtered_problems(user: User, *, status: str = "", known_errors: bool = False, text: str = "") -> QuerySet[Problem]:
    """The problem list's rows: by status, known errors only (the known-error register), words."""
    rows = problems_for_user(user)
    if status in ProblemStatus.values:
        rows = rows.filter(status=status)
    if known_errors:
        rows = rows.exclude(workaround="")
    for word in text.split()[:8]:
        rows = rows.filter(
            Q(reference__icontains=word)
            | Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(workaround__icontains=word)
        )
    return rows


def incident_links(problem: Problem) -> QuerySet[ProblemIncidentLink]:
    return problem.incident_links.select_related("incident", "linked_by").order_by("created_at", "pk")


def problem_links_of(incident: Incident) -> QuerySet[ProblemIncidentLink]:
    """The problems that explain an incident: the other direction of the link."""
    return (
        ProblemIncidentLink.objects.filter(organisation_id=incident.organisation_id, incident=incident)
        .select_related("problem")
        .order_by("created_at", "pk")
    )


LINKABLE_SHOWN = 50


def linkable_problems(incident: Incident) -> QuerySet[Problem]:
    """Problems an incident may be linked to: not closed and not linked to it yet."""
    return (
        Problem.objects.for_tenant(incident.organisation_id)
        .exclude(status=ProblemStatus.CLOSED)
        .exclude(incident_links__incident=incident)
        .only("reference", "title", "status")
        .order_by("-created_at")[:LINKABLE_SHOWN]
    )


def timeline_for(problem: Problem) -> QuerySet[AuditEvent]:
    """The problem's ledger events in chain order: its timeline is rebuilt from the ledger."""
    return (
        AuditEvent.objects.filter(
            organisation_id=problem.organisation_id, object_type="problems.problem", object_id=str(problem.pk)
        )
        .select_related("actor")
        .order_by("seq")
    )
