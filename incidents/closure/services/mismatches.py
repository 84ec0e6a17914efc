"""Organogram mismatch reported on a closure decision: the system-generated incident for the
department head, the automated routing check, and re-routing the original once it passes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from arc.choices import DelegationReason, DelegationScope, DelegationStatus
from arc.models import Delegation
from arc.services import delegate_responsibility
from incidents.choices import (
    DecisionKind,
    IncidentKind,
    IncidentStatus,
    RiskLevel,
    Severity,
    SignalKind,
    Source,
    SystemReason,
    TimeSensitivity,
)
from incidents.closure.services.closure import (
    MIN_MISMATCH_NOTE,
    SUBJECT,
    _decider_label,
    _lock,
    _lock_for_decision,
    _new_decision,
    _notify,
    _position_changes,
    _require_text,
    _signal,
    _unit_id_of,
    _vacancy_signals,
)
from incidents.core import lifecycle
from incidents.core.lifecycle import audited
from incidents.core.policy import may_reroute
from incidents.core.routing import routing_check
from incidents.models import ClosureDecision, Incident
from incidents.work.services import execution as work
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from organogram.hierarchy import department_head_of, top_of_hierarchy
from workflows.choices import EvidenceKind, EvidenceSource
from workflows.models import Step
from workflows.services import runs as run_services
from workflows.services.templates import current_template, install_template, read_library_template

MISMATCH_TEMPLATE = "organogram_mismatch"
MISMATCH_CHECK_STEP = "routing_check"
MISMATCH_REROUTE_STEP = "reroute_original"


def _mismatch_template(incident: Incident, actor: User) -> Any:
    template = current_template(tenant=incident.organisation, code=MISMATCH_TEMPLATE)
    if template is None:
        template, _ = install_template(
            tenant=incident.organisation, spec=read_library_template(MISMATCH_TEMPLATE), actor=actor
        )
    return template


def open_mismatch_of(incident: Incident) -> Incident | None:
    return (
        Incident.objects.filter(parent=incident, system_reason=SystemReason.ORGANOGRAM_MISMATCH)
        .exclude(status=IncidentStatus.CLOSED)
        .first()
    )


@audited
def report_organogram_mismatch(*, incident: Incident, actor: User, note: str) -> ClosureDecision:
    """The incident reached the wrong person, or a role that no longer exists. An
    organogram-mismatch incident (system-generated) goes to the head of the responsible
    person's department to correct the structure; the original waits, pending closure, to be
    re-routed. The wording is about the structure, never about the people."""
    with transaction.atomic():
        locked, right = _lock_for_decision(incident, actor)
        text = _require_text(
            locked, note, field="note", minimum=MIN_MISMATCH_NOTE, message="Say what in the routing is wrong"
        )
        existing = open_mismatch_of(locked)
        if existing is not None:
            raise PolicyError.on(
                "transition.not_allowed",
                f"An organogram mismatch is already being handled in {existing.reference}.",
                locked,
                spawned_incident=existing.pk,
            )
        head = department_head_of(locked.responsible) or top_of_hierarchy(locked.organisation)
        if head is None:
            raise PolicyError.on(
                "arc.no_accountability_rule", "Nobody heads the department to correct its structure.", locked
            )
        template = _mismatch_template(locked, actor)
        spawned = lifecycle.create_incident(
            tenant=locked.organisation,
            kind=IncidentKind.OTHER_GOVERNED_EVENT,
            source=Source.SYSTEM,
            system_reason=SystemReason.ORGANOGRAM_MISMATCH,
            category=locked.category,
            title=f"Organogram check: routing of {locked.reference}",
            narrative=(
                f"When deciding on the closure of {locked.reference} '{locked.title}', "
                f"{_decider_label(actor, right.position)} found that its routing does not match the "
                f"organisation as it is: {text}\n\nThis is a governance review of the organogram — positions, "
                "reporting lines and who holds them — so that incidents reach an active, correct person. "
                "It is not a finding against anyone."
            ),
            location=locked.location,
            severity=Severity.SEV3,
            risk_level=RiskLevel.MEDIUM,
            time_sensitivity=TimeSensitivity.PROMPT,
            occurred_at=timezone.now(),
            owner=head.holder,
            owner_position=head.position,
            responsible=head.holder,
            reporter=None,
            parent=locked,
            actor=actor,
        )
        run_services.start_workflow(
            tenant=locked.organisation,
            template=template,
            subject_type=SUBJECT,
            subject_id=str(spawned.pk),
            title=f"{spawned.reference}: {template.name}",
            responsible=head.holder,
            started_at=spawned.reported_at,
            actor=actor,
        )
        decision = _new_decision(
            locked, actor, right, DecisionKind.ORGANOGRAM_MISMATCH, instructions=text, spawned_incident=spawned
        )
        signals = _vacancy_signals(locked, right)
        if _signal(
            kind=SignalKind.ORGANOGRAM_MISMATCH,
            incident=locked,
            unit_id=_unit_id_of(locked),
            detail=f"Routing of {locked.reference} does not match the organogram: {text}",
        ):
            signals.append(SignalKind.ORGANOGRAM_MISMATCH)
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.LINK,
            actor=actor,
            obj=locked,
            message=f"Organogram mismatch reported by {_decider_label(actor, right.position)}: {text} "
            f"{spawned.reference} goes to {head.holder} ({head.position}) to correct the structure; "
            "the incident stays pending closure until it is re-routed.",
            changes={
                "decision": decision.pk,
                "kind": DecisionKind.ORGANOGRAM_MISMATCH,
                **_position_changes(right.position),
                "spawned_incident": spawned.pk,
                "spawned_reference": spawned.reference,
                "signals": signals,
            },
        )
        _notify(
            recipient=head.holder,
            decision=decision,
            subject=f"{spawned.reference}: organogram check for {locked.reference}",
            body=f"The routing of {locked.reference} does not match the organogram: {text} "
            "Please correct the structure and re-route the incident.",
            url=reverse("incident_detail", args=[spawned.reference]),
        )
    decision.incident = locked
    return decision


def _record_routing_check(mismatch: Incident, actor: User, report: str) -> None:
    """Put the check's result on the mismatch workflow's check and re-route steps, when its
    responsible person is working them."""
    if mismatch.status != IncidentStatus.IN_PROGRESS:
        return
    run = work.workflow_of(mismatch)
    if run is None:
        return
    for key in (MISMATCH_CHECK_STEP, MISMATCH_REROUTE_STEP):
        step = Step.objects.select_related("run__responsible", "assignee").filter(run=run, key=key).first()
        if step is None or step.is_done or step.executor_id != actor.pk:
            continue
        work.add_step_evidence(
            incident=mismatch,
            step=step,
            actor=actor,
            kind=EvidenceKind.NARRATIVE,
            source=EvidenceSource.SYSTEM,
            collected_at=timezone.now(),
            relevance="Automated routing check and re-route of the original incident",
            text=report,
            location=mismatch.location,
        )
        work.complete_step(incident=mismatch, step=Step.objects.get(pk=step.pk), actor=actor)


@audited
def reroute_incident(*, incident: Incident, actor: User) -> Incident:
    """Re-route `incident` after its organogram mismatch was corrected: recompute the
    responsible person and the decider from the organogram as it is now, refuse while the
    automated check still finds a problem, hand responsibility on (ARC trace) when it moves,
    and record the check on the mismatch workflow."""
    with transaction.atomic():
        locked = _lock(incident)
        right = may_reroute(actor, locked)
        if not right:
            raise PolicyError.on(right.code, right.reason, locked)
        mismatch = open_mismatch_of(locked)
        check = routing_check(locked)
        if check.problems:
            raise PolicyError.on(
                "transition.not_allowed",
                "The organogram still routes the incident wrongly: " + " ".join(check.problems),
                locked,
                reasons=check.problems,
            )
        before = locked.responsible
        waiting = Delegation.objects.filter(
            subject_type=SUBJECT, subject_id=str(locked.pk), status=DelegationStatus.PROPOSED
        ).first()
        if waiting is not None:
            raise PolicyError.on(
                "transition.not_allowed",
                f"The re-route to {waiting.to_person} waits for them to accept it.",
                locked,
                delegation=waiting.pk,
            )
        # Like any hand-off: on SEV-1/SEV-2 it takes effect only when the new person accepts.
        awaiting = check.responsible.pk != before.pk and locked.severity in work.ACCEPTANCE_SEVERITIES
        if check.responsible.pk != before.pk:
            delegate_responsibility(
                tenant=locked.organisation,
                subject_type=SUBJECT,
                subject_id=str(locked.pk),
                scope=DelegationScope.RESPONSIBILITY,
                from_person=before,
                to_person=check.responsible,
                reason_code=DelegationReason.OTHER,
                handoff_note=f"Re-routed after the organogram correction in {mismatch.reference}.",
                requires_acceptance=awaiting,
                actor=actor,
            )
            if not awaiting:
                work._move_responsibility(incident_id=locked.pk, to_person=check.responsible, actor=actor)
        decider = check.route.level
        report = (
            f"Routing check passed for {locked.reference}: responsible {check.responsible} "
            f"({check.responsible_position}"
            + ("; the hand-off takes effect when they accept" if awaiting else "")
            + f"), decided on by {decider.holder} ({decider.position})."
        )
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.ASSIGN,
            actor=actor,
            obj=locked,
            message=f"Re-routed after the organogram correction in {mismatch.reference}. {report}",
            changes={
                "responsible": [before.pk, check.responsible.pk],
                "awaiting_acceptance": awaiting,
                "decider": decider.holder.pk,
                **_position_changes(decider.position),
                "mismatch": mismatch.pk,
            },
        )
        _record_routing_check(mismatch, actor, report)
    return Incident.objects.select_related("responsible").get(pk=locked.pk)
