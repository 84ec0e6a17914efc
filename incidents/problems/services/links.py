"""Linking incidents to the problem that explains them: both sides record it, the problem
counts it, and a link made after the problem was resolved is a recurrence that starts the
stability window again."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.problems.choices import ProblemStatus
from incidents.problems.models import Problem, ProblemIncidentLink, ProblemSettings
from incidents.problems.policy import may_link_incident
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals


def link_incident(
    *, problem: Problem, incident: Incident, actor: User, note: str = "", now: datetime | None = None
) -> ProblemIncidentLink:
    """Record that `problem` explains `incident` (SOP 19: bidirectional traceability)."""
    with audited_refusals(actor=actor), transaction.atomic():
        locked = Problem.objects.select_for_update().get(pk=problem.pk)
        may_link_incident(actor, locked, incident).enforce(locked, incident=incident.reference)
        return add_link(problem=locked, incident=incident, actor=actor, note=note, now=now)


def add_link(
    *, problem: Problem, incident: Incident, actor: User, note: str = "", now: datetime | None = None
) -> ProblemIncidentLink:
    """The link itself, on a problem the caller has locked (or just created) and checked."""
    if ProblemIncidentLink.objects.filter(problem=problem, incident=incident).exists():
        raise PolicyError.on(
            "problem.already_linked",
            f"{incident.reference} is already linked to {problem.reference}.",
            problem,
            incident=incident.reference,
        )
    now = now or timezone.now()
    recurrence = problem.status == ProblemStatus.RESOLVED
    link = ProblemIncidentLink(
        organisation_id=problem.organisation_id,
        problem=problem,
        incident=incident,
        linked_by=actor,
        note=note.strip()[:500],
        is_recurrence=recurrence,
    )
    link.save()
    changes = {"incident": incident.reference, "recurrence": recurrence}
    problem.linked_incident_count += 1
    fields = ["linked_incident_count", "updated_at"]
    if recurrence:
        days = ProblemSettings.for_tenant_id(problem.organisation_id).stability_days
        stable_until = now + timedelta(days=days)
        changes["stable_until"] = [problem.stable_until, stable_until]
        problem.recurrence_count += 1
        problem.stable_until = stable_until
        fields += ["recurrence_count", "stable_until"]
    problem.save(update_fields=fields)  # the caller holds the row's lock: counts cannot drift
    what = "a recurrence of" if recurrence else "explained by"
    record_event(
        tenant=problem.organisation_id,
        action=AuditAction.LINK,
        actor=actor,
        obj=problem,
        message=f"{incident.reference} linked as {what} this problem",
        changes=changes,
    )
    record_event(
        tenant=problem.organisation_id,
        action=AuditAction.LINK,
        actor=actor,
        obj=incident,
        message=f"Linked to problem {problem.reference} “{problem.title}”" + (" (a recurrence)" if recurrence else ""),
        changes={"problem": problem.reference, "recurrence": recurrence},
    )
    return link
