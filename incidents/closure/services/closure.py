"""The supervisor's decisions on an incident pending closure — approve with the closure
checklist, override the review, reject with a corrective workflow, ask for more evidence —
and reopening a closed incident. An organogram mismatch and re-routing are in `mismatches`.

Each is one transaction: the incident is locked first, `incidents.policy` says who may act
(the same answer greys out the buttons), the decision is stored with the decider's position
and audited with it, and the responsible person is notified. Refusals are audited too."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import (
    DecisionKind,
    SignalKind,
)
from incidents.core import gates, lifecycle
from incidents.core.clocks import refresh_next_clock
from incidents.core.deadlines import deadlines_for, policy_for
from incidents.core.lifecycle import audited
from incidents.core.policy import DecisionRight, may_decide_closure, may_reopen
from incidents.core.services import notices
from incidents.models import ClosureDecision, Incident, MaturitySignal
from incidents.work.services import execution as work
from iwms import notifications
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Notification, User
from iwms.transitions import run_transition
from organogram.hierarchy import primary_position
from organogram.models import Position
from workflows.choices import RunKind, RunStatus, Verdict
from workflows.models import Review, WorkflowRun
from workflows.selectors import latest_review, open_subworkflows
from workflows.services import steps as step_services
from workflows.services.corrective import start_corrective_workflow

SUBJECT = work.SUBJECT


MIN_CHECKLIST = 10


MIN_INSTRUCTIONS = 15


MIN_ITEM = 10


MIN_OVERRIDE = 30


MIN_MISMATCH_NOTE = 15


MIN_REOPEN = 15


CHECKLIST_LABELS = {
    "impact": "Impact",
    "root_cause": "Root cause",
    "actions_taken": "Actions taken",
    "residual_risk": "Residual risk",
    "preventive_tasks": "Preventive tasks",
}


@dataclass(frozen=True)
class Checklist:
    """The closure checklist the decider signs off: every item is required."""

    impact: str
    root_cause: str
    actions_taken: str
    residual_risk: str
    preventive_tasks: str

    def cleaned(self) -> Checklist:
        return Checklist(**{name: value.strip() for name, value in asdict(self).items()})

    def problems(self) -> dict[str, str]:
        """Field name → what is wrong with it; empty when the checklist is complete."""
        return {
            name: f"{CHECKLIST_LABELS[name]}: say it in at least {MIN_CHECKLIST} characters."
            for name, value in asdict(self.cleaned()).items()
            if len(value) < MIN_CHECKLIST
        }


def _lock(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("organisation", "category", "responsible", "reporter", "owner_position")
        .get(pk=incident.pk)
    )


def _lock_for_decision(incident: Incident, actor: User) -> tuple[Incident, DecisionRight]:
    locked = _lock(incident)
    right = may_decide_closure(actor, locked)
    if not right:
        raise PolicyError.on(right.code, right.reason, locked)
    return locked, right


def _require_text(incident: Incident, text: str, *, field: str, minimum: int, message: str) -> str:
    text = text.strip()
    if len(text) < minimum:
        raise PolicyError.on("validation.invalid", f"{message} (at least {minimum} characters).", incident, field=field)
    return text


def _position_changes(position: Position | None) -> dict[str, Any]:
    return {"decider_position": {"id": position.pk, "title": position.title} if position else None}


def _decider_label(actor: User, position: Position | None) -> str:
    return f"{actor.get_full_name() or actor.username} ({position})" if position else str(actor)


def _unit_id_of(incident: Incident) -> int:
    position = primary_position(incident.responsible)
    return position.unit_id if position else incident.owner_position.unit_id


def _signal(*, kind: SignalKind, incident: Incident, unit_id: int, detail: str) -> bool:
    """Record a maturity signal once per incident and kind; True when it is new."""
    _, created = MaturitySignal.objects.get_or_create(
        kind=kind,
        incident=incident,
        defaults={"organisation_id": incident.organisation_id, "unit_id": unit_id, "detail": detail[:300]},
    )
    return created


def _vacancy_signals(incident: Incident, right: DecisionRight) -> list[str]:
    if not right.vacant_skipped:
        return []
    vacant = right.vacant_skipped[0]
    created = _signal(
        kind=SignalKind.VACANT_SUPERVISOR,
        incident=incident,
        unit_id=vacant.unit_id,
        detail=f"{vacant} is vacant; {right.position} decided on {incident.reference} instead.",
    )
    return [SignalKind.VACANT_SUPERVISOR] if created else []


def _notify(*, recipient: User, decision: ClosureDecision, subject: str, body: str, url: str) -> Notification:
    """One notification per decision and recipient (a repeated call finds the first), in the
    inbox and by e-mail after commit, like every other notification."""
    return notifications.notify(
        recipient=recipient, event=f"closure.{decision.kind}", obj=decision, subject=subject, body=body, url=url
    )


def _work_url(incident: Incident) -> str:
    return reverse("incident_work", args=[incident.reference])


def _new_decision(
    incident: Incident, actor: User, right: DecisionRight, kind: DecisionKind, **fields: Any
) -> ClosureDecision:
    decision = ClosureDecision(
        organisation_id=incident.organisation_id,
        incident=incident,
        kind=kind,
        decider=actor,
        decider_position=right.position,
        **fields,
    )
    decision.save()
    return decision


def _resolve_corrective_runs(incident: Incident, actor: User) -> None:
    """Corrective workflows end with the closure that their work made possible."""
    runs = WorkflowRun.objects.filter(
        organisation_id=incident.organisation_id,
        subject_type=SUBJECT,
        subject_id=str(incident.pk),
        kind=RunKind.CORRECTIVE,
        status=RunStatus.OPEN,
    ).order_by("pk")
    for run in runs:
        run_transition(
            run,
            "resolve",
            actor=actor,
            action=AuditAction.RESOLVE,
            message="Instructions carried out; closure approved.",
            by=actor,
            at=timezone.now(),
            resolution="Instructions carried out; closure approved.",
        )


def _close(
    *,
    incident: Incident,
    actor: User,
    right: DecisionRight,
    kind: DecisionKind,
    checklist: Checklist,
    review: Review | None,
    justification: str = "",
) -> ClosureDecision:
    run = work.workflow_of(incident)
    if run is not None and (open_subworkflows(run).exists() or work.open_corrective_steps(incident)):
        raise PolicyError.on(
            "closure.subworkflows_open",
            "An information request or the supervisor's instructions are still open.",
            incident,
        )
    gates.check("close", incident)
    problems = checklist.problems()
    if problems:
        first = next(iter(problems))
        raise PolicyError.on(
            "closure.checklist_incomplete",
            "The closure checklist is incomplete: " + " ".join(problems.values()),
            incident,
            field=first,
            errors=problems,
        )
    decision = _new_decision(
        incident, actor, right, kind, review=review, justification=justification, **asdict(checklist.cleaned())
    )
    signals = _vacancy_signals(incident, right)
    if kind == DecisionKind.OVERRIDE and _signal(
        kind=SignalKind.REVIEW_OVERRIDDEN,
        incident=incident,
        unit_id=_unit_id_of(incident),
        detail=f"Review {review.sequence if review else '-'} overridden at closure: {justification}",
    ):
        signals.append(SignalKind.REVIEW_OVERRIDDEN)
    who = _decider_label(actor, right.position)
    message = f"Closure approved by {who}." + (
        f" Review findings overridden: {justification}" if kind == DecisionKind.OVERRIDE else ""
    )
    closed = run_transition(
        incident,
        "approve_closure",
        actor=actor,
        action=AuditAction.CLOSE,
        message=message,
        extra_changes={
            "decision": decision.pk,
            "kind": kind,
            **_position_changes(right.position),
            "review": review.pk if review else None,
            "signals": signals,
        },
        at=timezone.now(),
    )
    refresh_next_clock(closed)  # a closed incident has no running clock
    _resolve_corrective_runs(closed, actor)
    lifecycle.close_workflow(incident=closed, actor=actor)
    _notify(
        recipient=closed.responsible,
        decision=decision,
        subject=f"{closed.reference} closed",
        body=f"{who} approved the closure of {closed.reference} '{closed.title}'."
        + (f" The review's findings were overridden: {justification}" if justification else ""),
        url=reverse("incident_detail", args=[closed.reference]),
    )
    notices.incident_closed_for_reporter(incident=closed, decider=actor)
    decision.incident = closed
    return decision


@audited
def approve_closure(*, incident: Incident, actor: User, checklist: Checklist) -> ClosureDecision:
    """Sign off the closure with the checklist; the incident becomes closed. Refused while the
    last review has open findings: that is what `override_review` is for."""
    with transaction.atomic():
        locked, right = _lock_for_decision(incident, actor)
        run = work.workflow_of(locked)
        review = latest_review(run) if run else None
        if review is None or review.verdict != Verdict.SATISFIED:
            raise PolicyError.on(
                "closure.findings_open",
                "The last review has open findings; approve only by overriding it with a justification.",
                locked,
                review=review.pk if review else None,
            )
        return _close(
            incident=locked, actor=actor, right=right, kind=DecisionKind.APPROVE, checklist=checklist, review=review
        )


@audited
def override_review(*, incident: Incident, actor: User, checklist: Checklist, justification: str) -> ClosureDecision:
    """Approve the closure although the last review has open findings, with a justification.
    Counted as a maturity signal: the review and the work disagreed."""
    with transaction.atomic():
        locked, right = _lock_for_decision(incident, actor)
        run = work.workflow_of(locked)
        review = latest_review(run) if run else None
        if review is not None and review.verdict == Verdict.SATISFIED:
            raise PolicyError.on(
                "transition.not_allowed",
                "The last review has no open findings; approve the closure instead of overriding it.",
                locked,
                review=review.pk,
            )
        text = _require_text(
            locked,
            justification,
            field="justification",
            minimum=MIN_OVERRIDE,
            message="Say why the review's findings do not stand",
        )
        return _close(
            incident=locked,
            actor=actor,
            right=right,
            kind=DecisionKind.OVERRIDE,
            checklist=checklist,
            review=review,
            justification=text,
        )


@audited
def reject_closure(*, incident: Incident, actor: User, instructions: str) -> ClosureDecision:
    """Send the incident back with instructions: a corrective workflow (one step, the
    instructions, a narrative of what was done) goes to the responsible person, due within the
    severity's resolve target, and the incident is in progress until it is done."""
    with transaction.atomic():
        locked, right = _lock_for_decision(incident, actor)
        text = _require_text(
            locked,
            instructions,
            field="instructions",
            minimum=MIN_INSTRUCTIONS,
            message="Say what has to be done before the incident can close",
        )
        now = timezone.now()
        run = work.workflow_of(locked)
        corrective = start_corrective_workflow(
            tenant=locked.organisation,
            subject_type=SUBJECT,
            subject_id=str(locked.pk),
            title=f"{locked.reference}: corrective workflow from {actor.get_full_name() or actor.username}",
            responsible=locked.responsible,
            requested_by=actor,
            instructions=text,
            started_at=now,
            due_at=deadlines_for(locked.severity, now, policy_for(locked.category)).resolve_due_at,
            actor=actor,
        )
        decision = _new_decision(
            locked, actor, right, DecisionKind.REJECT, instructions=text, review=latest_review(run) if run else None
        )
        who = _decider_label(actor, right.position)
        signals = _vacancy_signals(locked, right)
        moved = run_transition(
            locked,
            "reject_closure",
            actor=actor,
            message=f"Closure rejected by {who}: {text}",
            extra_changes={
                "decision": decision.pk,
                "kind": DecisionKind.REJECT,
                **_position_changes(right.position),
                "corrective_run": corrective.pk,
                "signals": signals,
            },
        )
        refresh_next_clock(moved)  # the contain and resolve clocks run again
        _notify(
            recipient=moved.responsible,
            decision=decision,
            subject=f"{moved.reference}: closure rejected — corrective work",
            body=f"{who} rejected the closure of {moved.reference} '{moved.title}'. Instructions: {text}",
            url=_work_url(moved),
        )
    decision.incident = moved
    return decision


@audited
def request_more_evidence(*, incident: Incident, actor: User, items: list[dict[str, str]]) -> ClosureDecision:
    """Ask for named items of evidence on named steps ([{"step": key, "item": text}, …]): those
    steps reopen, the items show on the work page, and the incident is in progress again."""
    with transaction.atomic():
        locked, right = _lock_for_decision(incident, actor)
        run = work.workflow_of(locked)
        steps = {step.key: step for step in run.steps.all()} if run else {}
        requested = []
        for entry in items:
            key = str(entry.get("step", "")).strip()
            text = " ".join(str(entry.get("item", "")).split())
            if key not in steps:
                raise PolicyError.on("validation.invalid", f"The workflow has no step '{key}'.", locked, field="items")
            if len(text) < MIN_ITEM:
                raise PolicyError.on(
                    "validation.invalid",
                    f"Name each item of evidence for step {steps[key].position} in at least {MIN_ITEM} characters.",
                    locked,
                    field="items",
                    step=key,
                )
            requested.append({"step": key, "item": text})
        if not requested:
            raise PolicyError.on(
                "validation.invalid",
                "Name at least one item of evidence and the step it belongs to.",
                locked,
                field="items",
            )
        summary = "; ".join(f"step {steps[r['step']].position}: {r['item']}" for r in requested)
        decision = _new_decision(
            locked,
            actor,
            right,
            DecisionKind.MORE_EVIDENCE,
            requested_items=requested,
            instructions=summary,
            review=latest_review(run) if run else None,
        )
        for step in sorted({steps[r["step"]] for r in requested}, key=lambda s: s.pk):
            if step.is_done:
                step_services.reopen_step(step=step, actor=actor, reason="the supervisor asked for more evidence")
        who = _decider_label(actor, right.position)
        signals = _vacancy_signals(locked, right)
        moved = run_transition(
            locked,
            "reject_closure",
            actor=actor,
            message=f"More evidence requested by {who}: {summary}",
            extra_changes={
                "decision": decision.pk,
                "kind": DecisionKind.MORE_EVIDENCE,
                **_position_changes(right.position),
                "requested_items": requested,
                "signals": signals,
            },
        )
        refresh_next_clock(moved)  # the contain and resolve clocks run again
        _notify(
            recipient=moved.responsible,
            decision=decision,
            subject=f"{moved.reference}: more evidence requested",
            body=f"{who} asks for more evidence on {moved.reference} '{moved.title}': {summary}",
            url=_work_url(moved),
        )
    decision.incident = moved
    return decision


@audited
def reopen_incident(*, incident: Incident, actor: User, reason: str) -> ClosureDecision:
    """Reopen a closed incident: a reason and an approver above the original decider. The
    decision keeps the lineage; a new clock cycle starts now (`lifecycle._reopen`)."""
    with transaction.atomic():
        locked = _lock(incident)
        right = may_reopen(actor, locked)
        if not right:
            raise PolicyError.on(right.code, right.reason, locked)
        text = _require_text(
            locked, reason, field="reason", minimum=MIN_REOPEN, message="Say why the incident is reopened"
        )
        decision = _new_decision(locked, actor, right, DecisionKind.REOPEN, justification=text)
        who = _decider_label(actor, right.position)
        reopened = lifecycle._reopen(
            incident=locked,
            actor=actor,
            reason=f"Reopened by {who}: {text}",
            extra_changes={
                "decision": decision.pk,
                "kind": DecisionKind.REOPEN,
                **_position_changes(right.position),
                "reopened_count": locked.reopened_count + 1,
            },
        )
        _notify(
            recipient=reopened.responsible,
            decision=decision,
            subject=f"{reopened.reference} reopened",
            body=f"{who} reopened {reopened.reference} '{reopened.title}': {text}",
            url=_work_url(reopened),
        )
    decision.incident = reopened
    return decision
