"""Reads of incidents that depend on who asks."""

from __future__ import annotations

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

from incidents.choices import IncidentStatus
from incidents.models import Incident
from iwms.models import AuditEvent, User
from organogram.hierarchy import supervisor_of
from workflows.models import Evidence, Step, WorkflowRun

LIST_RELATED = ("category", "owner", "responsible", "reporter")


def incidents_for_user(user: User) -> QuerySet[Incident]:
    """Incidents of the user's tenant that the user reported, owns, is responsible for or
    executes a step of.
    (Supervisors' queues, auditors' portals and grants arrive with their issues.)"""
    if not user.is_authenticated or user.organisation_id is None:
        return Incident.objects.none()
    executes_a_step = Step.objects.filter(
        assignee=user, run__subject_type="incidents.incident", run__subject_id=Cast(OuterRef("pk"), CharField())
    )
    return (
        Incident.objects.for_tenant(user.organisation_id)
        .filter(Q(reporter=user) | Q(owner=user) | Q(responsible=user) | Exists(executes_a_step))
        .select_related(*LIST_RELATED)
    )


def get_incident_for_user(user: User, reference: str) -> Incident:
    """404 — never 403 — for what the user may not see, so references do not leak."""
    incident = incidents_for_user(user).select_related("owner_position", "parent").filter(reference=reference).first()
    if incident is None:
        raise Http404("No such incident.")
    return incident


def timeline_for(incident: Incident) -> QuerySet[AuditEvent]:
    """The incident's ledger events and those of its workflow (runs, steps, evidence), in
    chain order: the timeline is rebuilt from the ledger alone."""
    runs = WorkflowRun.objects.filter(subject_type="incidents.incident", subject_id=str(incident.pk))
    run_ids = [str(pk) for pk in runs.values_list("pk", flat=True)]
    step_ids = [str(pk) for pk in Step.objects.filter(run__in=runs).values_list("pk", flat=True)]
    evidence_ids = [str(pk) for pk in Evidence.objects.filter(step__run__in=runs).values_list("pk", flat=True)]
    return (
        AuditEvent.objects.filter(organisation_id=incident.organisation_id)
        .filter(
            Q(object_type="incidents.incident", object_id=str(incident.pk))
            | Q(object_type="workflows.workflowrun", object_id__in=run_ids)
            | Q(object_type="workflows.step", object_id__in=step_ids)
            | Q(object_type="workflows.evidence", object_id__in=evidence_ids)
        )
        .select_related("actor")
        .order_by("seq")
    )


def next_actions(incident: Incident) -> list[str]:
    """What has to happen next and who holds it, in words for the incident page."""
    status = incident.status
    if status == IncidentStatus.OPEN:
        return [f"{incident.responsible} acknowledges the incident and starts the workflow."]
    if status == IncidentStatus.IN_PROGRESS:
        steps = Step.objects.filter(
            run__subject_type="incidents.incident", run__subject_id=str(incident.pk), run__kind="main"
        ).select_related("assignee")
        open_steps = [s for s in steps if s.mandatory and s.status not in ("completed", "not_applicable")]
        actions = [
            f"Step {s.position} '{s.name}': {s.assignee or incident.responsible}"
            + (" (paused for information)" if s.status == "paused" else "")
            for s in open_steps
        ]
        return actions or [f"{incident.responsible} clicks Complete to send the work for review."]
    if status == IncidentStatus.HALF_CLOSED:
        return ["The automated review checks the steps and evidence."]
    if status == IncidentStatus.PENDING_CLOSURE:
        supervisor = supervisor_of(incident.responsible)
        who = supervisor.holder if supervisor else "the supervisor one level up"
        return [f"{who} decides on closure (approve with the closure checklist, reject or ask for more evidence)."]
    return []
