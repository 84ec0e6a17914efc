"""Reads of the work page: the steps to execute and the evidence asked for."""

from __future__ import annotations

from arc.cross_tenant import not_found
from incidents.choices import DecisionKind, IncidentStatus
from incidents.core.selectors import SUBJECT
from incidents.models import (
    ClosureDecision,
    Incident,
)
from iwms.models import User
from workflows.choices import RunKind
from workflows.models import Evidence, Step, WorkflowRun
from workflows.selectors import steps_with_evidence


def work_steps(incident: Incident, run: WorkflowRun | None) -> list[Step]:
    """The steps of the work page: the workflow's, then those of the corrective workflows a
    supervisor sent back with a rejected closure."""
    steps = steps_with_evidence(run) if run else []
    corrective = WorkflowRun.objects.filter(
        organisation_id=incident.organisation_id,
        subject_type=SUBJECT,
        subject_id=str(incident.pk),
        kind=RunKind.CORRECTIVE,
    ).order_by("started_at", "pk")
    for extra in corrective:
        steps += steps_with_evidence(extra)
    return steps


def requested_evidence(incident: Incident) -> list[dict[str, str]]:
    """The items of evidence the last decision asked for, while the incident is back in
    progress because of it ([{"step": key, "item": text}, …]); empty otherwise."""
    if incident.status != IncidentStatus.IN_PROGRESS:
        return []
    last = ClosureDecision.objects.filter(incident=incident).order_by("-created_at", "-id").first()
    if last is None or last.kind != DecisionKind.MORE_EVIDENCE:
        return []
    return list(last.requested_items)


def get_evidence_for_user(user: User, incident: Incident, evidence_id: int) -> Evidence:
    """An item of evidence on `incident` (which `user` may see); 404 for anything else."""
    item = (
        Evidence.objects.filter(pk=evidence_id, step__run__subject_type=SUBJECT, step__run__subject_id=str(incident.pk))
        .select_related("step__run__responsible", "step__assignee")
        .first()
    )
    if item is None:
        raise not_found(user, Evidence, "No such evidence on this incident.", pk=evidence_id)
    return item
