"""Escalation up the organogram when a completion (resolve) deadline is missed, and its
acknowledgement.

The late item's escalation creates a Failure-to-Complete-in-Time incident (system-generated,
reason overdue, parent = the late item) owned by and assigned to the next level up, and an
`Escalation` row that level must acknowledge. Levels follow the original incident's
responsible person: 1 = their supervisor, 2 = their department head, 3 = the top of the
hierarchy (a level that coincides with one below it is not repeated; vacant positions are
skipped). Each time a failure-to-complete incident itself goes overdue, the next level gets
one. When the item at the top goes overdue there is no level left: escalation stops and a
maturity signal is recorded for the original incident's unit, once (seed 000 §9–10).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentKind, IncidentStatus, SignalKind, Source, SystemReason
from incidents.models import Category, Escalation, Incident, MaturitySignal
from incidents.services import clocks, lifecycle, work
from incidents.sla import policy_for
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.refusals import audited_refusals
from organogram.hierarchy import Level, department_head_of, supervisor_of, top_of_hierarchy
from workflows.models import TemplateStep, WorkflowTemplate
from workflows.services.templates import template_steps_for_category_code

logger = logging.getLogger(__name__)

SWEEP_ACTOR = "system:sla-sweep"
SUBJECT = "incidents.incident"


@dataclass(frozen=True)
class Target:
    """A level a late item escalates to, and what it is to the original responsible person."""

    level: Level
    role: str


def escalation_targets(
    person: User, tenant: Organisation | int, at: datetime | None = None, *, up_to: int | None = None
) -> list[Target]:
    """The levels a late item of `person` escalates to, in order: supervisor, department head,
    top of the hierarchy; a level held by the same position or person as one below it, or by
    `person` themself, is left out. With `up_to`, only that many are looked up (each costs a
    few queries)."""
    lookups = (
        ("supervisor", lambda: supervisor_of(person, at)),
        ("department head", lambda: department_head_of(person, at)),
        ("top of the hierarchy", lambda: top_of_hierarchy(tenant, at)),
    )
    targets: list[Target] = []
    positions: set[int] = set()
    holders = {person.pk}
    for role, lookup in lookups:
        if up_to is not None and len(targets) >= up_to:
            break
        level = lookup()
        if level is None or level.position.pk in positions or level.holder.pk in holders:
            continue
        targets.append(Target(level, role))
        positions.add(level.position.pk)
        holders.add(level.holder.pk)
    return targets


def origin_of(incident: Incident) -> Incident:
    """The incident a chain of failure-to-complete incidents started from."""
    current = incident
    while current.system_reason == SystemReason.OVERDUE and current.parent_id is not None:
        current = Incident.objects.select_related("responsible", "owner_position__unit").get(pk=current.parent_id)
    return current


def failure_to_complete_of(escalation: Escalation) -> Incident | None:
    return Incident.objects.filter(
        parent_id=escalation.incident_id,
        system_reason=SystemReason.OVERDUE,
        source_reference=source_reference(escalation),
    ).first()


def source_reference(escalation: Escalation) -> str:
    return f"escalation:{escalation.pk}"


class Lookups:
    """What failure-to-complete incidents read again and again — their category's SLA policy
    and its workflow template with its steps — read once per sweep (a sweep lasts seconds:
    what it read at its start holds for it, as for `sweep.SweptPeople`)."""

    def __init__(self) -> None:
        self._policies: dict[tuple[int, int | None], Any] = {}
        self._templates: dict[tuple[int, str], tuple[WorkflowTemplate, list[TemplateStep]]] = {}

    def policy(self, category: Category) -> Any:
        key = (category.organisation_id, category.sla_policy_id)
        if key not in self._policies:
            self._policies[key] = policy_for(category)
        return self._policies[key]

    def template(self, category: Category) -> tuple[WorkflowTemplate, list[TemplateStep]]:
        key = (category.organisation_id, category.workflow_template_code)
        if key not in self._templates:
            self._templates[key] = template_steps_for_category_code(
                tenant=category.organisation_id, template_code=category.workflow_template_code
            )
        return self._templates[key]


def escalate_overdue(
    *,
    incident: Incident,
    missed_at: datetime,
    now: datetime,
    drafts: list[notifications.Draft] | None = None,
    lookups: Lookups | None = None,
) -> Escalation | None:
    """Escalate `incident` (locked by the caller, its resolve deadline `missed_at` just
    breached) one level up, or stop at the top. Runs inside the caller's transaction; the
    unique (incident, level) constraint makes a second attempt a no-op. Returns the new
    escalation, or None when there was nothing (left) to escalate to. With `drafts`, the
    notifications are added to it for the caller to send with others, not sent here."""
    lookups = lookups or Lookups()
    level = incident.escalation_level + 1
    origin = origin_of(incident)
    targets = escalation_targets(origin.responsible, origin.organisation_id, now, up_to=level)
    if level > len(targets):
        _stop_at_top(incident=incident, origin=origin, missed_at=missed_at)
        return None
    target, role = targets[level - 1].level, targets[level - 1].role
    escalation = Escalation(
        organisation_id=incident.organisation_id,
        incident=incident,
        level=level,
        to_person=target.holder,
        to_position=target.position,
        reason=f"{incident.reference} missed its resolve deadline of {clocks.local_time(missed_at)}.",
        escalated_at=now,
    )
    try:
        with transaction.atomic():
            escalation.save()
    except IntegrityError:
        logger.info("%s was already escalated to level %s", incident.reference, level)
        return None
    failure = _failure_to_complete(
        incident=incident, origin=origin, escalation=escalation, target=target, level=level, lookups=lookups
    )
    escalation.ack_due_at = failure.ack_due_at
    escalation.save(update_fields=["ack_due_at", "updated_at"])
    incident.escalation_level = level
    incident.save(update_fields=["escalation_level", "updated_at"])
    if target.flagged:
        vacant = target.skipped_vacant[0]
        MaturitySignal.objects.bulk_create(
            [
                MaturitySignal(
                    organisation_id=incident.organisation_id,
                    unit=vacant.unit,
                    kind=SignalKind.VACANT_SUPERVISOR,
                    incident=failure,
                    detail=f"Escalation of {incident.reference} passed the vacant position {vacant} to reach "
                    f"{target.holder} ({target.position}).",
                )
            ],
            ignore_conflicts=True,
        )
    record_event(
        tenant=incident.organisation_id,
        action=AuditAction.ESCALATE,
        actor=SWEEP_ACTOR,
        obj=origin,
        message=f"Escalated to level {level} ({role}): {target.holder}, "
        f"{target.position}. {incident.reference} missed its resolve deadline; {failure.reference} was created "
        f"for {target.holder} to see it completed.",
        changes={
            "escalation": escalation.pk,
            "level": level,
            "late": incident.reference,
            "to_person": target.holder.pk,
            "to_position": target.position.pk,
            "failure_to_complete": failure.reference,
            "vacant_skipped": [p.code for p in target.skipped_vacant],
        },
    )
    messages = _escalation_drafts(escalation=escalation, incident=incident, failure=failure)
    if drafts is None:
        notifications.notify_many(messages)
    else:
        drafts += messages
    return escalation


def _failure_to_complete(
    *, incident: Incident, origin: Incident, escalation: Escalation, target: Level, level: int, lookups: Lookups
) -> Incident:
    narrative = (
        f"{incident.reference} '{incident.title}' was not completed by its resolve deadline of "
        f"{clocks.local_time(incident.resolve_due_at)}. {incident.responsible} is responsible for it and "
        f"{incident.owner} is accountable. This failure-to-complete incident holds {target.holder} "
        f"({target.position}), level {level} of the escalation of {origin.reference}, accountable for seeing the "
        f"work completed and for what the organisation learns from the delay. If it is not completed in time it "
        f"escalates one level further."
    )
    failure = lifecycle.create_incident(
        tenant=incident.organisation,
        kind=IncidentKind.OTHER_GOVERNED_EVENT,
        source=Source.SYSTEM,
        system_reason=SystemReason.OVERDUE,
        source_reference=source_reference(escalation),
        category=incident.category,
        title=f"Failure to complete in time: {incident.reference} {incident.title}"[:200],
        narrative=narrative,
        location=incident.location,
        severity=incident.severity,
        risk_level=incident.risk_level,
        time_sensitivity=incident.time_sensitivity,
        occurred_at=incident.resolve_due_at,
        owner=target.holder,
        owner_position=target.position,
        responsible=target.holder,
        parent=incident,
        escalation_level=level,
        actor=SWEEP_ACTOR,
        policy=lookups.policy(incident.category),
    )
    work.start_incident_workflow(incident=failure, actor=SWEEP_ACTOR, template=lookups.template(incident.category))
    return failure


def _stop_at_top(*, incident: Incident, origin: Incident, missed_at: datetime) -> None:
    unit = origin.owner_position.unit
    created = MaturitySignal.objects.bulk_create(
        [
            MaturitySignal(
                organisation_id=origin.organisation_id,
                unit=unit,
                kind=SignalKind.ESCALATED_TO_TOP,
                incident=origin,
                detail=f"{incident.reference}, the top of the hierarchy's failure-to-complete item for "
                f"{origin.reference}, missed its resolve deadline of {clocks.local_time(missed_at)}: "
                "no level is left to escalate to.",
            )
        ],
        ignore_conflicts=True,
    )
    record_event(
        tenant=origin.organisation_id,
        action=AuditAction.ESCALATE,
        actor=SWEEP_ACTOR,
        obj=origin,
        message=f"Escalation stopped at the top of the hierarchy: {incident.reference} went overdue there. "
        f"Recorded as a maturity signal for {unit}.",
        changes={"late": incident.reference, "level": incident.escalation_level, "maturity_signal": bool(created)},
    )


def _escalation_drafts(*, escalation: Escalation, incident: Incident, failure: Incident) -> list[notifications.Draft]:
    target = escalation.to_person
    url = reverse("escalation_list")
    drafts = {
        person.pk: notifications.draft(
            recipient=person,
            event="escalation.raised",
            obj=escalation,
            subject=f"{incident.reference} escalated to {target} (level {escalation.level})",
            body=f"{incident.reference} '{incident.title}' missed its resolve deadline and escalated to {target}, "
            f"{escalation.to_position}. {failure.reference} follows it up.",
            url=reverse("incident_detail", args=[incident.reference]),
        )
        for person in (incident.owner, incident.responsible)
    }
    drafts[target.pk] = notifications.draft(
        recipient=target,
        event="escalation.raised",
        obj=escalation,
        subject=f"Escalated to you (level {escalation.level}): {incident.reference} {incident.title}",
        body=f"{incident.reference} '{incident.title}' missed its resolve deadline of "
        f"{clocks.local_time(incident.resolve_due_at)} ({incident.responsible} responsible). "
        f"{failure.reference} was created with you as owner and responsible person. Acknowledge the escalation "
        f"by {clocks.local_time(escalation.ack_due_at)}.",
        url=url,
    )
    return list(drafts.values())


# --- acknowledgement ---------------------------------------------------------------------------


def acknowledge_escalation(*, escalation: Escalation, actor: User) -> Escalation:
    """The person escalated to acknowledges: the lag from escalation is recorded, and their
    failure-to-complete incident is acknowledged with it. A second acknowledgement is refused
    (`escalation.already_acknowledged`)."""
    from incidents.policy import may_acknowledge_escalation

    with audited_refusals(actor=actor), transaction.atomic():
        late = Incident.objects.select_for_update().get(pk=escalation.incident_id)
        locked = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("acknowledged_by", "to_person", "to_position")
            .get(pk=escalation.pk)
        )
        decision = may_acknowledge_escalation(actor, locked)
        if not decision:
            code = "escalation.already_acknowledged" if locked.acknowledged_at else "access_denied"
            raise PolicyError(
                code,
                decision.reason,
                tenant=late.organisation,
                object_type="incidents.escalation",
                object_id=str(locked.pk),
            )
        now = timezone.now()
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
        locked.ack_lag = now - locked.escalated_at
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "ack_lag", "updated_at"])
        origin = origin_of(late)
        record_event(
            tenant=late.organisation_id,
            action=AuditAction.ESCALATE,
            actor=actor,
            obj=origin,
            message=f"Level {locked.level} escalation of {late.reference} acknowledged by {actor} after "
            f"{clocks.duration_text(locked.ack_lag)}.",
            changes={"escalation": locked.pk, "level": locked.level, "ack_lag_seconds": locked.ack_lag.total_seconds()},
        )
        notifications.mark_read_for_object(user=actor, obj=locked)
        clocks.refresh_next_clock(late)
        failure = failure_to_complete_of(locked)
        if failure is not None and failure.status == IncidentStatus.OPEN and failure.responsible_id == actor.pk:
            lifecycle.acknowledge(incident=failure, actor=actor)
    return locked
