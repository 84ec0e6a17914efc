"""The incident's workflow: starting it at confirmation, working its steps while the incident
is in progress, delegating responsibility, and the half-closed review loop.

Locks are taken incident first, then step (STYLE.md); the workflow engine below does the
step-level work and knows nothing of incidents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from arc.choices import DelegationReason, DelegationScope
from arc.models import Delegation
from arc.services import accept_delegation, decline_delegation, delegate_responsibility
from incidents.choices import IncidentStatus, Severity
from incidents.models import Category, Incident, PoleEntity
from incidents.policy import (
    may_complete_work,
    may_correct_account,
    may_delegate_incident,
    may_restart_review,
    may_take_over,
)
from incidents.services import lifecycle
from incidents.services.clocks import add_started_clocks, refresh_next_clock, step_clock
from incidents.services.lifecycle import audited
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from workflows.choices import RunKind, RunStatus, StepStatus, Verdict
from workflows.models import Evidence, Review, Step, TemplateStep, WorkflowRun, WorkflowTemplate
from workflows.review import review as run_rules
from workflows.review.llm import LLMReviewer
from workflows.selectors import known_hashes, main_run, review_steps
from workflows.services import evidence as evidence_services
from workflows.services import runs as run_services
from workflows.services import steps as step_services
from workflows.services.templates import template_steps_for_category_code

logger = logging.getLogger(__name__)


SUBJECT = "incidents.incident"
REVIEWER = "automated review"
ACCEPTANCE_SEVERITIES = {Severity.SEV1, Severity.SEV2}


def workflow_of(incident: Incident) -> WorkflowRun | None:
    return main_run(subject_type=SUBJECT, subject_id=incident.pk, tenant=incident.organisation_id)


def start_incident_workflows(
    *,
    tenant: Organisation,
    incidents: list[Incident],
    actor: Any = None,
    templates: Callable[[Category], tuple[WorkflowTemplate, list[TemplateStep]]] | None = None,
) -> list[WorkflowRun]:
    """Generate each new incident's workflow from its category's current template version (all
    of one tenant, written together: `run_services.start_workflows`). `templates` gives a
    category's template with its steps when the caller has them already."""

    def read(category: Category) -> tuple[WorkflowTemplate, list[TemplateStep]]:
        return template_steps_for_category_code(tenant=tenant, template_code=category.workflow_template_code)

    chosen = [(templates or read)(incident.category) for incident in incidents]
    runs = run_services.start_workflows(
        tenant=tenant,
        runs=[
            run_services.NewRun(
                template=template,
                template_steps=steps,
                subject_type=SUBJECT,
                subject_id=str(incident.pk),
                title=f"{incident.reference}: {template.name}",
                responsible=incident.responsible,
                started_at=incident.reported_at,
            )
            for incident, (template, steps) in zip(incidents, chosen, strict=True)
        ],
        actor=actor,
    )
    # Step due dates are clocks too; they have only just started, so fold them in without re-reading.
    for incident, run in zip(incidents, runs, strict=True):
        add_started_clocks(
            incident, (step_clock(run, step) for step in run.generated_steps if step.mandatory and step.due_at)
        )
    return runs


def start_incident_workflow(*, incident: Incident, actor: Any = None) -> WorkflowRun:
    """Generate the category's workflow (its current template version) for a new incident."""
    return start_incident_workflows(tenant=incident.organisation, incidents=[incident], actor=actor)[0]


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
def complete_step(*, incident: Incident, step: Step, actor: User) -> Step:
    with transaction.atomic():
        _locked_in_progress(incident, step)
        return step_services.complete_step(step=step, actor=actor)


@audited
def mark_step_not_applicable(*, incident: Incident, step: Step, actor: User, justification: str) -> Step:
    with transaction.atomic():
        _locked_in_progress(incident, step)
        return step_services.mark_not_applicable(step=step, actor=actor, justification=justification)


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
    return request_run


@audited
def resolve_information_request(*, request: WorkflowRun, actor: User, resolution: str) -> WorkflowRun:
    """The person asked answers; the paused step resumes once its last request is answered."""
    with transaction.atomic():
        Incident.objects.select_for_update().get(pk=int(request.subject_id))
        return run_services.resolve_information_request(request=request, actor=actor, resolution=resolution)


@audited
def delegate_step(*, incident: Incident, step: Step, actor: User, **fields: Any) -> Delegation:
    with transaction.atomic():
        locked = _locked_in_progress(incident, step)
        return step_services.delegate_step(
            step=step, actor=actor, requires_acceptance=locked.severity in ACCEPTANCE_SEVERITIES, **fields
        )


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
    return delegation


@audited
def accept_incident_delegation(*, delegation: Delegation, actor: User, note: str = "") -> Delegation:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=int(delegation.subject_id))
        may_take_over(actor, incident).enforce(incident, delegation=delegation.pk, state=incident.status)
        delegation = accept_delegation(delegation=delegation, actor=actor, note=note)
        _move_responsibility(incident_id=int(delegation.subject_id), to_person=delegation.to_person, actor=actor)
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
    """The responsible person clicks Complete: the incident becomes half-closed and the
    automated review decides whether it goes back for corrections or on to the supervisor."""
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
        lifecycle._submit_for_review(incident=locked, actor=actor)
    return review_incident(incident=locked)


def review_pack(incident: Incident, run: WorkflowRun, *, submitted_at: datetime) -> dict[str, Any]:
    """The plain-data input of the review (docs/review-pack.md)."""
    return {
        "incident": {
            "reference": incident.reference,
            "kind": incident.kind,
            "category": incident.category.code,
            "severity": incident.severity,
            "occurred_at": incident.occurred_at.isoformat(),
            "reported_at": incident.reported_at.isoformat(),
            "submitted_at": submitted_at.isoformat(),
            "location": incident.location,
            "narrative": incident.narrative,
            "pole": [{"type": e.type, "name": e.name, "role": e.role} for e in incident.pole_entities.all()],
        },
        "steps": review_steps(run),
        "known_hashes": known_hashes(run),
    }


@audited
def restart_review(*, incident: Incident, actor: User) -> Incident:
    """The responsible person runs the review again on an incident left half-closed (e.g. the
    reviewer died half-way)."""
    may_restart_review(actor, incident).enforce(incident, state=incident.status)
    return review_incident(incident=incident)


def review_incident(*, incident: Incident) -> Incident:
    """Run the automated review of a half-closed incident, store it, and move the incident:
    corrections required → in progress with the concerned steps reopened; satisfied →
    pending closure. Safe to call again if an earlier attempt died half-way."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().select_related("category").get(pk=incident.pk)
        if locked.status != IncidentStatus.HALF_CLOSED:
            raise PolicyError.on(
                "transition.not_allowed", "Only a half-closed incident is reviewed.", locked, state=locked.status
            )
        run = workflow_of(locked)
        pack = review_pack(locked, run, submitted_at=timezone.now())
        result = run_rules(pack, llm=LLMReviewer.from_settings())
        outcome = result.as_dict()
        stored = Review(
            organisation=locked.organisation,
            run=run,
            sequence=run.reviews.count() + 1,
            engine=result.engine,
            version=result.version,
            input_digest=result.input_digest,
            verdict=result.verdict,
            findings=outcome["findings"],
            llm_error=getattr(result, "llm_error", "") or "",
            pack=pack,
        )
        stored.save()
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.REVIEW,
            actor=REVIEWER,
            obj=locked,
            message=f"Review {stored.sequence}: {stored.get_verdict_display()}"
            + (f" — {len(stored.findings)} finding(s)" if stored.findings else ""),
            changes={
                "review": stored.pk,
                "engine": result.engine,
                "version": result.version,
                "input_digest": result.input_digest,
                "verdict": result.verdict,
                "findings": [f["code"] for f in stored.findings],
            },
        )
        if result.verdict == Verdict.SATISFIED:
            return lifecycle._accept_review(incident=locked, actor=REVIEWER)
        moved = lifecycle._require_corrections(
            incident=locked,
            actor=REVIEWER,
            message="Corrections required: " + "; ".join(f["message"] for f in stored.findings),
        )
        concerned = {f["step"] for f in stored.findings if f.get("step")}
        for step in run.steps.filter(key__in=concerned, status__in=["completed", "not_applicable"]):
            step_services.reopen_step(step=step, actor=REVIEWER, reason="the automated review asked for corrections")
    return moved


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
    if not accept:
        if len(note.strip()) < MIN_CORRECTION_REASON:
            raise PolicyError(
                "validation.invalid",
                "Say why you decline, so the person handing over can find someone else.",
                tenant=delegation.organisation,
                field="note",
            )
        return decline_delegation(delegation=delegation, actor=actor, note=note.strip())
    if delegation.subject_type == SUBJECT:
        return accept_incident_delegation(delegation=delegation, actor=actor, note=note)
    return step_services.accept_step_delegation(delegation=delegation, actor=actor, note=note)
