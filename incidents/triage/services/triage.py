"""The triage step: the matrix scores, the proposal, and the triager's choice with rationale.
A severity that differs from the incident's goes through the one severity path
(`incidents.sla.services.clock_changes.change_severity`), so the clocks follow it."""

from __future__ import annotations

from django.db import transaction

from incidents.choices import Severity
from incidents.core.clocks import MIN_REASON
from incidents.models import Incident
from incidents.sla.services import clock_changes
from incidents.triage.choices import Priority
from incidents.triage.matrix import DIMENSIONS, LEVELS, propose
from incidents.triage.models import TriageRecord
from incidents.triage.policy import may_triage
from incidents.triage.selectors import settings_for
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals


def _invalid(message: str, incident: Incident, field: str) -> PolicyError:
    return PolicyError.on("validation.invalid", message, incident, field=field)


def triage_incident(
    *,
    incident: Incident,
    actor: User,
    scores: dict[str, int],
    urgency: int,
    severity: str,
    priority: str,
    rationale: str,
) -> TriageRecord:
    """Record the triage of `incident` once: the four scores and the urgency, what the tenant's
    matrix proposes, and the chosen severity and priority with the triager's rationale (always
    asked for; a choice away from the proposal says why in it). Later changes need a reason and,
    in the high-impact range, a manager (`services.reprioritisation`)."""
    with audited_refusals(actor=actor):
        may_triage(actor, incident).enforce(incident, state=incident.status)
        rationale = " ".join(rationale.split())
        for name in (*DIMENSIONS, "urgency"):
            value = urgency if name == "urgency" else scores.get(name)
            if value not in LEVELS:
                raise _invalid(f"Choose a level from 1 to 4 for {name.replace('_', ' ')}.", incident, name)
        if severity not in Severity.values:
            raise _invalid("Choose a severity from SEV-1 to SEV-4.", incident, "severity")
        if priority not in Priority.values:
            raise _invalid("Choose a priority from P1 to P4.", incident, "priority")
        if len(rationale) < MIN_REASON:
            raise _invalid(f"Say why (at least {MIN_REASON} characters).", incident, "rationale")
        settings = settings_for(incident.organisation_id)
        proposal = propose(
            scores, urgency, grid=settings.grid if settings.uses_priority_grid else None, levels=settings.levels
        )
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            if TriageRecord.objects.filter(incident=locked).exists():
                raise PolicyError.on(
                    "transition.not_allowed",
                    "Already triaged: change the severity or priority with a reason instead.",
                    locked,
                )
            if severity != locked.severity:
                locked = clock_changes.change_severity(
                    incident=locked, actor=actor, severity=severity, reason=f"Triage: {rationale}"
                )
            record = TriageRecord.objects.create(
                organisation_id=locked.organisation_id,
                incident=locked,
                triager=actor,
                urgency=urgency,
                proposed_severity=proposal.severity,
                proposed_priority=proposal.priority,
                chosen_severity=severity,
                chosen_priority=priority,
                priority=priority,
                rationale=rationale,
                **{name: scores[name] for name in DIMENSIONS},
            )
            followed = "followed the proposal" if record.followed_proposal else "chose away from the proposal"
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.REVIEW,
                actor=actor,
                obj=locked,
                message=f"Triaged: {Severity(severity).label}, {Priority(priority).label} "
                f"(the matrix proposed {Severity(proposal.severity).label}, {Priority(proposal.priority).label}; "
                f"the triager {followed}): {rationale}",
                changes={
                    "triage": {name: scores[name] for name in DIMENSIONS} | {"urgency": urgency},
                    "proposed": [proposal.severity, proposal.priority],
                    "chosen": [severity, priority],
                },
            )
    return record
