"""Completing steps, justifying them not applicable, and delegating them (the ARC trace)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from arc.choices import DelegationReason, DelegationScope
from arc.models import Delegation
from arc.services import accept_delegation, delegate_responsibility, revoke_delegation
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.transitions import run_transition
from workflows.choices import EvidenceKind
from workflows.models import Step
from workflows.policy import may_complete_step, may_undo_not_applicable, may_work_step
from workflows.review.justification import justification_problem

STEP_SUBJECT = "workflows.step"


def needs_substantive_justification(step: Step) -> bool:
    """Mandatory steps, and steps whose template asks for it, need a justification of substance."""
    template_step = step.template_step
    return step.mandatory or bool(template_step and template_step.substantive_justification)


def not_applicable_problem(step: Step, justification: str) -> str:
    """Why `justification` does not justify `step` as not applicable, as a sentence; "" when it does."""
    problem = justification_problem(
        justification, hint=step.instructions, substantive=needs_substantive_justification(step)
    )
    if not problem:
        return ""
    return (
        f"The justification {problem}. Say why this step does not apply to this incident; 'n/a' is not a reason, "
        "and the justification is audited and reviewed."
    )


def missing_evidence_kinds(step: Step) -> list[str]:
    """Required kinds without a valid (not invalidated, not superseded) item on the step."""
    prefetched = "evidence" in getattr(step, "_prefetched_objects_cache", {})
    items = step.evidence.all() if prefetched else step.evidence.select_related("superseded_by")
    have = {e.kind for e in items if e.is_valid}
    return [kind for kind in step.required_evidence if kind not in have]


def complete_step(*, step: Step, actor: User) -> Step:
    decision = may_complete_step(actor, step)
    if not decision:
        raise PolicyError.on("access_denied", decision.reason, step)
    missing = missing_evidence_kinds(step)
    if missing:
        labels = ", ".join(str(EvidenceKind(kind).label) for kind in missing)
        raise PolicyError.on(
            "evidence.missing",
            f"Step {step.position} '{step.name}' needs {labels} before it can be completed.",
            step,
            missing=missing,
        )
    return run_transition(
        step,
        "complete",
        actor=actor,
        action=AuditAction.RESOLVE,
        message=f"Step {step.position} '{step.name}' completed.",
        by=actor,
        at=timezone.now(),
    )


def mark_not_applicable(*, step: Step, actor: User, justification: str) -> Step:
    """Justify a step as not applicable (workflows.review.justification says what will do);
    every justification is audited with the template step, so skipped steps can be counted."""
    decision = may_complete_step(actor, step)
    if not decision:
        raise PolicyError.on("access_denied", decision.reason, step)
    text = " ".join(justification.split())
    problem = not_applicable_problem(step, text)
    if problem:
        raise PolicyError.on("step.justification_required", problem, step, field="justification")
    return run_transition(
        step,
        "mark_not_applicable",
        actor=actor,
        message=f"Step {step.position} '{step.name}' not applicable: {text}",
        extra_changes={
            "justification": text,
            "mandatory": step.mandatory,
            "template_step": step.template_step_id,
            "step_key": step.key,
        },
        by=actor,
        at=timezone.now(),
        justification=text,
    )


def undo_not_applicable(*, step: Step, actor: User) -> Step:
    """Take back a not-applicable mark before the work is completed: the step is to be done
    again, and its justification is kept in the ledger and the history only."""
    decision = may_work_step(actor, step)
    if not decision:
        raise PolicyError.on("access_denied", decision.reason, step)
    decision = may_undo_not_applicable(actor, step)
    if not decision:
        raise PolicyError.on("transition.not_allowed", decision.reason, step, state=step.status)
    return run_transition(
        step,
        "undo_not_applicable",
        actor=actor,
        message=f"Step {step.position} '{step.name}': not applicable undone (was: {step.justification})",
        extra_changes={"justification": [step.justification, ""], "step_key": step.key},
    )


def reopen_step(*, step: Step, actor: Any, reason: str) -> Step:
    return run_transition(step, "reopen", actor=actor, message=f"Step {step.position} '{step.name}' reopened: {reason}")


def delegate_step(
    *,
    step: Step,
    actor: User,
    to_person: User,
    reason_code: DelegationReason,
    handoff_note: str,
    requires_acceptance: bool,
) -> Delegation:
    """Hand one step to someone else; it moves at once, or when they accept (SEV-1/SEV-2)."""
    decision = may_work_step(actor, step)
    if not decision:
        raise PolicyError.on("access_denied", decision.reason, step)
    if step.is_done:
        raise PolicyError.on("transition.not_allowed", "A finished step cannot be delegated.", step, state=step.status)
    if to_person.organisation_id != step.organisation_id or not to_person.is_active:
        raise PolicyError.on(
            "validation.invalid", "Choose an active person of your organisation.", step, field="to_person"
        )
    with transaction.atomic():
        delegation = delegate_responsibility(
            tenant=step.organisation,
            subject_type=STEP_SUBJECT,
            subject_id=str(step.pk),
            scope=DelegationScope.STEP,
            from_person=actor,
            to_person=to_person,
            reason_code=reason_code,
            handoff_note=handoff_note,
            requires_acceptance=requires_acceptance,
            actor=actor,
        )
        if not requires_acceptance:
            _hand_over(step_id=step.pk, to_person=to_person, actor=actor)
    return delegation


def accept_step_delegation(*, delegation: Delegation, actor: User, note: str = "") -> Delegation:
    if delegation.subject_type != STEP_SUBJECT:
        raise PolicyError("validation.invalid", "Not a step delegation.", tenant=delegation.organisation)
    with transaction.atomic():
        delegation = accept_delegation(delegation=delegation, actor=actor, note=note)
        _hand_over(step_id=int(delegation.subject_id), to_person=delegation.to_person, actor=actor)
    return delegation


MIN_TAKE_BACK_REASON = 10


def live_step_delegation(step: Step) -> Delegation | None:
    """The step's hand-off that is waiting for acceptance or in force, if any."""
    return (
        Delegation.objects.filter(
            organisation_id=step.organisation_id,
            subject_type=STEP_SUBJECT,
            subject_id=str(step.pk),
            status__in=["proposed", "accepted"],
        )
        .select_related("from_person", "to_person")
        .order_by("-created_at", "-pk")
        .first()
    )


def may_take_back(user: User, step: Step, delegation: Delegation | None) -> tuple[bool, str]:
    """Whether `user` may withdraw the step's hand-off (waiting or accepted) and execute the
    step again: the person who handed it over, while the step is not done."""
    if delegation is None:
        return False, "The step is not handed to anyone."
    if step.is_done:
        return False, "A finished step stays with whoever finished it."
    if user.pk != delegation.from_person_id:
        return False, f"Only {delegation.from_person}, who handed it over, takes it back."
    if delegation.status == "accepted" and step.assignee_id != delegation.to_person_id:
        return False, "The step has moved on since; it is not with the person it was handed to."
    return True, ""


def take_back_step(*, step: Step, actor: User, reason: str) -> Delegation:
    """Withdraw the step's hand-off — before it was accepted, or after, when the person it went
    to cannot finish it — and give the step back to the person who handed it over."""
    delegation = live_step_delegation(step)
    allowed, why = may_take_back(actor, step, delegation)
    if not allowed:
        code = "transition.not_allowed" if delegation is None or step.is_done else "access_denied"
        raise PolicyError.on(code, why, step)
    reason = " ".join(reason.split())
    if len(reason) < MIN_TAKE_BACK_REASON:
        raise PolicyError.on(
            "validation.invalid",
            f"Say why you take the step back (at least {MIN_TAKE_BACK_REASON} characters); they are told.",
            step,
            field="reason",
        )
    with transaction.atomic():
        was_accepted = delegation.status == "accepted"
        delegation = revoke_delegation(delegation=delegation, actor=actor, note=reason)
        if was_accepted:
            back_to = None if actor.pk == step.run.responsible_id else actor
            _hand_over(step_id=step.pk, to_person=back_to, actor=actor)
    return delegation


def _hand_over(*, step_id: int, to_person: User | None, actor: Any) -> None:
    """Set the step's executor (None: the workflow's responsible person), audited."""
    step = Step.objects.select_for_update().select_related("run__responsible").get(pk=step_id)
    previous = step.assignee_id
    step.assignee = to_person
    step.save(update_fields=["assignee", "updated_at"])
    record_event(
        tenant=step.organisation_id,
        action=AuditAction.ASSIGN,
        actor=actor,
        obj=step,
        message=f"Step {step.position} '{step.name}' now executed by {to_person or step.run.responsible}.",
        changes={"assignee": [previous, to_person.pk if to_person else None]},
    )


def open_step_delegations(step: Step) -> list[Delegation]:
    return list(
        Delegation.objects.filter(subject_type=STEP_SUBJECT, subject_id=str(step.pk), status="proposed").select_related(
            "to_person"
        )
    )
