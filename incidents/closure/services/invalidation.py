"""Invalidating an item of evidence, and re-opening what relied on it through the path each
state has: a half-closed incident goes back for corrections, one pending closure is rejected
(a closure decision on record), a closed one is reopened (a reopen decision, an approver above
the original decider, deadlines recomputed)."""

from __future__ import annotations

from django.db import transaction

from incidents.choices import IncidentStatus
from incidents.closure.services import closure
from incidents.core import lifecycle
from incidents.core.lifecycle import audited
from incidents.core.policy import may_invalidate_evidence
from incidents.models import Incident
from iwms.models import User
from workflows.models import Evidence
from workflows.services import evidence as evidence_services


@audited
def invalidate_evidence(*, incident: Incident, evidence: Evidence, actor: User, reason: str) -> Evidence:
    """Invalidate an item with a reason. When a done step relied on it, the step returns to in
    progress and so does the incident, through the decision its state calls for. Who may is
    the state's question too (`incidents.policy.may_invalidate_evidence`)."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        right = may_invalidate_evidence(actor, locked, evidence)
        right.enforce(evidence, incident=locked.pk, state=locked.status)
        item, step_reopened = evidence_services.invalidate_evidence(
            evidence=evidence, actor=actor, reason=reason, decided=right
        )
        why = f"Evidence on step {item.step.position} was invalidated: {item.invalidation_reason}"
        if step_reopened and locked.status == IncidentStatus.CLOSED:
            closure.reopen_incident(incident=locked, actor=actor, reason=why)
        elif step_reopened and locked.status == IncidentStatus.PENDING_CLOSURE:
            closure.reject_closure(incident=locked, actor=actor, instructions=why)
        elif step_reopened and locked.status == IncidentStatus.HALF_CLOSED:
            lifecycle._require_corrections(incident=locked, actor=actor, message=why)
    return item
