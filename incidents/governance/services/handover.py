"""What a transfer or termination does to the person's open work and access: every open
incident they are responsible for and every open step they execute is handed over (an ARC
trace each; on SEV-1/SEV-2 the hand-off waits for the new person's acceptance), and a
termination revokes their sessions, API tokens, role grants and pending delegations — each
audited by the service that does it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from arc.choices import DelegationReason, DelegationScope, DelegationStatus
from arc.models import ApiToken, Delegation, RoleGrant
from arc.services import delegate_responsibility, revoke_delegation, revoke_role
from arc.tokens import revoke_token
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.work.services import execution as work
from iwms.models import User
from iwms.sessions import end_all_sessions
from workflows.models import Step
from workflows.services import steps as step_services

SUBJECT = "incidents.incident"


def hand_over_open_items(*, person: User, successor: User, reason: str, actor: Any) -> dict[str, list[str]]:
    """Hand `person`'s open incidents (as responsible) and open steps (as executor) to
    `successor`. The owner of each incident stays accountable: an owner anchor never moves."""
    moved: list[str] = []
    awaiting: list[str] = []
    steps_moved: list[str] = []
    note = f"Handed over by organogram governance: {reason}"
    with transaction.atomic():
        incidents = (
            Incident.objects.filter(organisation_id=person.organisation_id, responsible=person)
            .exclude(status=IncidentStatus.CLOSED)
            .order_by("pk")
        )
        for incident in incidents:
            needs_acceptance = incident.severity in work.ACCEPTANCE_SEVERITIES
            delegate_responsibility(
                tenant=incident.organisation,
                subject_type=SUBJECT,
                subject_id=str(incident.pk),
                scope=DelegationScope.RESPONSIBILITY,
                from_person=person,
                to_person=successor,
                reason_code=DelegationReason.OTHER,
                handoff_note=note,
                requires_acceptance=needs_acceptance,
                actor=actor,
            )
            if needs_acceptance:
                awaiting.append(incident.reference)
            else:
                work._move_responsibility(incident_id=incident.pk, to_person=successor, actor=actor)
                moved.append(incident.reference)
        steps = Step.objects.filter(organisation_id=person.organisation_id, assignee=person).select_related("run")
        for step in steps:
            if step.is_done:
                continue
            delegate_responsibility(
                tenant=step.organisation,
                subject_type=step_services.STEP_SUBJECT,
                subject_id=str(step.pk),
                scope=DelegationScope.STEP,
                from_person=person,
                to_person=successor,
                reason_code=DelegationReason.OTHER,
                handoff_note=note,
                requires_acceptance=False,
                actor=actor,
            )
            step_services._hand_over(step_id=step.pk, to_person=successor, actor=actor)
            steps_moved.append(f"{step.run.title}: {step.name}")
        owned = list(
            Incident.objects.filter(organisation_id=person.organisation_id, owner=person)
            .exclude(status=IncidentStatus.CLOSED)
            .values_list("reference", flat=True)
        )
    return {"handed_over": moved, "awaiting_acceptance": awaiting, "steps": steps_moved, "still_owned": owned}


def revoke_access(*, person: User, actor: Any, reason: str) -> dict[str, Any]:
    """A termination: end every session, revoke every live API token and role grant, and revoke
    the delegations to or from the person that still wait for acceptance."""
    with transaction.atomic():
        end_all_sessions(user=person, actor=actor if isinstance(actor, User) else None)
        tokens = [
            revoke_token(token=token, actor=actor if isinstance(actor, User) else None, reason=reason).name
            for token in ApiToken.objects.filter(user=person, revoked_at__isnull=True)
        ]
        grants = [
            revoke_role(grant=grant, actor=actor).role
            for grant in RoleGrant.objects.filter(user=person, revoked_at__isnull=True)
        ]
        pending = Delegation.objects.filter(status=DelegationStatus.PROPOSED).filter(
            organisation_id=person.organisation_id
        )
        delegations = [
            revoke_delegation(delegation=delegation, actor=actor, note=reason).pk
            for delegation in pending.filter(to_person=person) | pending.filter(from_person=person)
        ]
    return {"sessions_ended": True, "tokens": tokens, "grants": grants, "delegations": delegations}
