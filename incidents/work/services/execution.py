"""The incident's workflow: starting it at confirmation, working its steps while the incident
is in progress, delegating responsibility, and the half-closed review loop.

Locks are taken incident first, then step (STYLE.md); the workflow engine below does the
step-level work and knows nothing of incidents.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from arc.choices import DelegationReason, DelegationScope
from arc.models import Delegation
from arc.services import accept_delegation, decline_delegation, delegate_responsibility
from incidents.choices import IncidentStatus, Severity
from incidents.core.clocks import refresh_next_clock
from incidents.core.lifecycle import audited
from incidents.core.policy import may_complete_work, may_correct_account, may_delegate_incident, may_take_over
from incidents.core.services import notices
from incidents.models import Incident, PoleEntity
from incidents.work.services import review
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from workflows.choices import RunKind, RunStatus, StepStatus
from workflows.models import Evidence, Step, WorkflowRun
from workflows.selectors import main_run
from workflows.services import evidence as evidence_services
from workflows.services import runs as run_services
from workflows.services import steps as step_services

logger = logging.getLogger(__name__)


SUBJECT = review.SUBJECT
ACCEPTANCE_SEVERITIES = {Severity.SEV1, Severity.SEV2}


def workflow_of(incident: Incident) -> WorkflowRun | None:
    return main_run(subject_type=SUBJECT, subject_id=incident.pk, tenant=incident.organisation_id)


# --- working steps -------------------------------------------------------------------------


def _locked_in_progress(incident: Incident, step: Step | None = None) -> Incident:
    """Lock the incident (before any step) and check work on it is possible now."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if step is not None and (step.run.subject_type != SUBJECT or step.run.subject_id != str(locked.pk)):
        raise PolicyError.on("validation.invalid", "That step belongs to another incident.", locked, step=step.pk)
    if locked.status != IncidentStatus.IN_PROGRESS:
        hint = "Acknowledge it first." if locked.status == IncidentStatus.OPEN else ""
        raise PolicyError.on(
            "transition.not_allowed",
            f"Steps are worked while the incident is in progress; it is {locked.get_status_display()}. {hint}".strip(),
            locked,
            state=locked.status,
        )
    return locked


@audited
def add_step_evidence(*, incident: Incident, step: Step, actor: User, **fields: Any) -> Evidence:
    with transaction.atomic():
        _locked_in_progress(incident, step)
        return evidence_services.add_evidence(step=step, actor=actor, **fields)


@audited
def add_step_evidence_items(*, incident: Incident, step: Step, actor: User, **fields: Any) -> list[Evidence]:
    """Several files at once, all or nothing (`evidence_services.add_evidence_items`)."""
    with transaction.atomic():
        _locked_in_progress(incident, step)
        return evidence_services.add_evidence_items(step=step, actor=actor, **fields)


@audited
def complete_step(*, incident: Incident, step: Step, actor: User) -> Step:
    """Complete a step: whoever executes it (the responsible person, a colleague or an
    external provider it was handed to), on the work page or the provider portal alike."""
    with transaction.atomic():
        locked = _locked_in_progress(incident, step)
        completed = step_services.complete_step(step=step, actor=actor)
        notices.handed_step_completed(step=completed, incident=locked, actor=actor)
    return completed


@audited
def mark_step_not_applicable(*, incident: Incident, step: Step, actor: User, justification: str) -> Step:
    with transaction.atomic():
        _locked_in_progress(incident, step)
        return step_services.mark_not_applicable(step=step, actor=actor, justification=justification)


@audited
def undo_step_not_applicable(*, incident: Incident, step: Step, actor: User) -> Step:
    """Take back a not-applicable mark while the incident is in progress (before Complete)."""
    with transaction.atomic():
        _locked_in_progress(incident, step)
        return step_services.undo_not_applicable(step=step, actor=actor)


@audited
def pause_step(
    *, incident: Incident, step: Step, actor: User, responsible: User, request: str, due_at: datetime
) -> WorkflowRun:
    with transaction.atomic():
        locked = _locked_in_progress(incident, step)
        request_run = run_services.request_information(
            step=step, actor=actor, responsible=responsible, request=request, due_at=due_at
        )
        refresh_next_clock(locked)  # the request's due date is a clock
        notices.information_requested(request=request_run, incident=locked)
    return request_run


@audited
def resolve_information_request(*, request: WorkflowRun, actor: User, resolution: str) -> WorkflowRun:
    """The person asked answers; the paused step resumes once its last request is answered."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=int(request.subject_id))
        answered = run_services.resolve_information_request(request=request, actor=actor, resolution=resolution)
        notices.information_answered(request=answered, incident=locked)
    return answered


@audited
def delegate_step(*, incident: Incident, step: Step, actor: User, **fields: Any) -> Delegation:
    """Hand a step to someone else (a colleague, or an external provider who then works it in
    the provider portal); they are told at once."""
    with transaction.atomic():
        locked = _locked_in_progress(incident, step)
        delegation = step_services.delegate_step(
            step=step, actor=actor, requires_acceptance=locked.severity in ACCEPTANCE_SEVERITIES, **fields
        )
        notices.handoff_proposed(delegation=delegation, incident=locked, step=step)
    return delegation


@audited
def take_step_back(*, incident: Incident, step: Step, actor: User, reason: str) -> Delegation:
    """Withdraw a step's hand-off (waiting or accepted): the step is the hander's again and the
    person it went to is told."""
    with transaction.atomic():
        locked = _locked_in_progress(incident, step)
        fresh = Step.objects.select_related("run__responsible", "assignee").get(pk=step.pk)
        delegation = step_services.take_back_step(step=fresh, actor=actor, reason=reason)
        notices.handoff_withdrawn(delegation=delegation, incident=locked, step=fresh)
    return delegation


# --- responsibility ------------------------------------------------------------------------


@audited
def delegate_incident(
    *, incident: Incident, actor: User, to_person: User, reason_code: DelegationReason, handoff_note: str
) -> Delegation:
    """Hand the whole responsibility on (ARC trace). The owner stays accountable; SEV-1 and
    SEV-2 hand-offs take effect only when the new responsible person accepts."""
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update().select_related("organisation", "responsible").get(pk=incident.pk)
        )
        may_delegate_incident(actor, incident).enforce(incident, state=incident.status)
        if to_person.organisation_id != incident.organisation_id or not to_person.is_active:
            raise PolicyError.on(
                "validation.invalid", "Choose an active person of your organisation.", incident, field="to_person"
            )
        requires_acceptance = incident.severity in ACCEPTANCE_SEVERITIES
        delegation = delegate_responsibility(
            tenant=incident.organisation,
            subject_type=SUBJECT,
            subject_id=str(incident.pk),
            scope=DelegationScope.RESPONSIBILITY,
            from_person=actor,
            to_person=to_person,
            reason_code=reason_code,
            handoff_note=handoff_note,
            requires_acceptance=requires_acceptance,
            actor=actor,
        )
        if not requires_acceptance:
            _move_responsibility(incident_id=incident.pk, to_person=to_person, actor=actor)
        notices.handoff_proposed(delegation=delegation, incident=incident)
    return delegation


@audited
def accept_incident_delegation(*, delegation: Delegation, actor: User, note: str = "") -> Delegation:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=int(delegation.subject_id))
        may_take_over(actor, incident).enforce(incident, delegation=delegation.pk, state=incident.status)
        delegation = accept_delegation(delegation=delegation, actor=actor, note=note)
        _move_responsibility(incident_id=int(delegation.subject_id), to_person=delegation.to_person, actor=actor)
    return delegation


@audited
def reassign_incident(*, incident: Incident, actor: User, to_person: User, reason: str) -> Delegation:
    """A platform admin moves the responsibility of an incident that is not closed from the
    Django admin: a hand-off from the current responsible person with its ARC trace, in effect
    at once (no acceptance: it corrects the assignment), the admin named as the actor."""
    if not actor.is_superuser:
        raise PolicyError.on(
            "access_denied", "Only a platform admin reassigns; the responsible person delegates.", incident
        )
    with transaction.atomic():
        locked = Incident.objects.select_for_update().select_related("responsible").get(pk=incident.pk)
        if locked.status == IncidentStatus.CLOSED:
            raise PolicyError.on(
                "transition.not_allowed", "A closed incident is not reassigned.", locked, state=locked.status
            )
        if to_person.organisation_id != locked.organisation_id or not to_person.is_active:
            raise PolicyError.on(
                "validation.invalid",
                "Choose an active person of the incident's organisation.",
                locked,
                field="responsible",
            )
        delegation = delegate_responsibility(
            tenant=locked.organisation,
            subject_type=SUBJECT,
            subject_id=str(locked.pk),
            scope=DelegationScope.RESPONSIBILITY,
            from_person=locked.responsible,
            to_person=to_person,
            reason_code=DelegationReason.OTHER,
            handoff_note=f"Reassigned by the platform admin: {reason}",
            requires_acceptance=False,
            actor=actor,
        )
        _move_responsibility(incident_id=locked.pk, to_person=to_person, actor=actor)
    return delegation


def _move_responsibility(*, incident_id: int, to_person: User, actor: Any) -> None:
    incident = Incident.objects.select_for_update().get(pk=incident_id)
    previous = incident.responsible_id
    incident.responsible = to_person
    incident.save(update_fields=["responsible", "updated_at"])
    run = workflow_of(incident)
    if run is not None:
        WorkflowRun.objects.filter(pk=run.pk).update(responsible=to_person, updated_at=timezone.now())
    record_event(
        tenant=incident.organisation_id,
        action=AuditAction.ASSIGN,
        actor=actor,
        obj=incident,
        message=f"Responsibility moved to {to_person}; {incident.owner} stays accountable.",
        changes={"responsible": [previous, to_person.pk]},
    )


# --- completion and the automated review ------------------------------------------------------


def completion_blockers(incident: Incident, run: WorkflowRun | None) -> list[str]:
    """Why the responsible person cannot click Complete yet (empty when they can)."""
    if run is None:
        return ["The incident has no workflow."]
    reasons = []
    steps = list(run.steps.all())
    undone = [s for s in steps if s.mandatory and not s.is_done]
    if undone:
        reasons.append(
            "Mandatory steps not yet completed or justified: " + ", ".join(f"{s.position}. {s.name}" for s in undone)
        )
    corrective = open_corrective_steps(incident)
    if corrective:
        reasons.append(
            "The supervisor's instructions are not yet carried out: "
            + ", ".join(f"{s.position}. {s.name}" for s in corrective)
        )
    if WorkflowRun.objects.filter(parent_step__run=run, status=RunStatus.OPEN).exists():
        reasons.append("An information request is still open.")
    return reasons


def open_corrective_steps(incident: Incident) -> list[Step]:
    """Mandatory steps of the incident's open corrective workflows (a rejected closure's
    instructions) not yet done: they block Complete as the workflow's own steps do."""
    return list(
        Step.objects.filter(
            run__organisation_id=incident.organisation_id,
            run__subject_type=SUBJECT,
            run__subject_id=str(incident.pk),
            run__kind=RunKind.CORRECTIVE,
            run__status=RunStatus.OPEN,
            mandatory=True,
        )
        .exclude(status__in=[StepStatus.COMPLETED, StepStatus.NOT_APPLICABLE])
        .order_by("position")
    )


@audited
def complete_work(*, incident: Incident, actor: User) -> Incident:
    """The responsible person clicks Complete: the incident becomes half-closed and, once that
    has committed, the automated review runs in the background (services/review.py) and
    decides whether it goes back for corrections or on to the supervisor."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().select_related("responsible").get(pk=incident.pk)
        may_complete_work(actor, locked).enforce(locked, state=locked.status)
        run = workflow_of(locked)
        blockers = completion_blockers(locked, run)
        if blockers:
            code = (
                "workflow.subworkflow_open"
                if blockers[-1].startswith("An information")
                else "workflow.steps_incomplete"
            )
            raise PolicyError.on(code, " ".join(blockers), locked, reasons=blockers)
        review.submit(incident=locked, run=run, actor=actor)
    locked.refresh_from_db()
    return locked


# --- correcting the incident's account -------------------------------------------------------

MIN_NARRATIVE = 30
MIN_CORRECTION_REASON = 10


@audited
def correct_account(
    *, incident: Incident, actor: User, narrative: str, location: str, reason: str, pole: list[dict] | None = None
) -> Incident:
    """The responsible person corrects what the review questioned: the narrative, the
    location, and POLE entities to add. The anchors never change; the old text stays in the
    history and the ledger records both versions with the reason."""
    may_correct_account(actor, incident).enforce(incident, state=incident.status)
    narrative, location, reason = narrative.strip(), location.strip(), " ".join(reason.split())
    if len(narrative) < MIN_NARRATIVE:
        raise PolicyError.on(
            "validation.invalid",
            f"Say what happened, where and when (at least {MIN_NARRATIVE} characters).",
            incident,
            field="narrative",
        )
    if not location:
        raise PolicyError.on("validation.invalid", "Say where it happened.", incident, field="location")
    if len(reason) < MIN_CORRECTION_REASON:
        raise PolicyError.on("validation.invalid", "Say why the account changes.", incident, field="reason")
    with transaction.atomic():
        locked = _locked_in_progress(incident)
        before = {"narrative": locked.narrative, "location": locked.location}
        locked.narrative, locked.location = narrative, location
        locked.save(update_fields=["narrative", "location", "updated_at"])
        added = []
        for entity in pole or []:
            PoleEntity(
                organisation=locked.organisation,
                incident=locked,
                type=entity["type"],
                name=entity["name"].strip(),
                role=entity.get("role", "").strip(),
            ).save()
            added.append(entity)
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=locked,
            message=f"Account corrected: {reason}",
            changes={"before": before, "after": {"narrative": narrative, "location": location}, "pole_added": added},
        )
    return locked


@audited
def decide_delegation(*, delegation: Delegation, actor: User, accept: bool, note: str = "") -> Delegation:
    """The person a SEV-1/SEV-2 hand-off was proposed to accepts it (responsibility or the step
    moves to them) or declines it with a note (nothing moves)."""
    if not accept and len(note.strip()) < MIN_CORRECTION_REASON:
        raise PolicyError(
            "validation.invalid",
            "Say why you decline, so the person handing over can find someone else.",
            tenant=delegation.organisation,
            field="note",
        )
    with transaction.atomic():
        if not accept:
            decided = decline_delegation(delegation=delegation, actor=actor, note=note.strip())
        elif delegation.subject_type == SUBJECT:
            decided = accept_incident_delegation(delegation=delegation, actor=actor, note=note)
        else:
            decided = step_services.accept_step_delegation(delegation=delegation, actor=actor, note=note)
        step = None
        if decided.subject_type == step_services.STEP_SUBJECT:
            step = Step.objects.select_related("run").get(pk=int(decided.subject_id))
            incident = Incident.objects.get(pk=int(step.run.subject_id))
        else:
            incident = Incident.objects.get(pk=int(decided.subject_id))
        notices.handoff_decided(delegation=decided, incident=incident, step=step)
    return decided
