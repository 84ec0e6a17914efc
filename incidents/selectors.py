"""Reads of incidents that depend on who asks."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

from incidents.choices import IncidentStatus, SystemReason
from incidents.models import BreachWarning, Escalation, Incident
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


# --- escalations and breach warnings addressed to a person ------------------------------------


def escalations_for_user(user: User) -> QuerySet[Escalation]:
    """Escalations to the user: those waiting for acknowledgement first (the most pressing
    first), then the acknowledged ones, latest first."""
    if not user.is_authenticated or user.organisation_id is None:
        return Escalation.objects.none()
    return (
        Escalation.objects.for_tenant(user.organisation_id)
        .filter(to_person=user)
        .select_related("incident__responsible", "to_position", "acknowledged_by")
        .order_by(F("acknowledged_at").desc(nulls_first=True), "ack_due_at", "-escalated_at", "-id")
    )


def with_failure_to_complete(escalations: Iterable[Escalation]) -> list[Escalation]:
    """Attach to each escalation (as `.failure`) the failure-to-complete incident it created, in one query."""
    escalations = list(escalations)
    if not escalations:
        return escalations
    failures = Incident.objects.filter(
        organisation_id=escalations[0].organisation_id,
        parent_id__in={e.incident_id for e in escalations},
        system_reason=SystemReason.OVERDUE,
    ).only("pk", "reference", "title", "status", "parent_id", "source_reference")
    by_source = {f.source_reference: f for f in failures}
    for item in escalations:
        item.failure = by_source.get(f"escalation:{item.pk}")
    return escalations


def get_escalation_for_user(user: User, escalation_id: int) -> Escalation:
    """404 for an escalation addressed to someone else."""
    escalation = escalations_for_user(user).filter(pk=escalation_id).first()
    if escalation is None:
        raise Http404("No such escalation for you.")
    return escalation


def get_mitigation_warning_for_user(user: User, warning_id: int) -> BreachWarning:
    """A warning that asked the user, as responsible person, for a mitigation note; else 404."""
    if not user.is_authenticated or user.organisation_id is None:
        raise Http404("No such warning.")
    warning = (
        BreachWarning.objects.for_tenant(user.organisation_id)
        .filter(pk=warning_id, mitigation_requested=True, incident__responsible=user)
        .select_related("incident__responsible", "incident__owner")
        .first()
    )
    if warning is None:
        raise Http404("No such warning.")
    return warning
