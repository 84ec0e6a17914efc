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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from incidents.choices import IncidentKind, IncidentStatus, SignalKind, Source, SystemReason
from incidents.core import clocks, lifecycle
from incidents.core.deadlines import deadlines_for, escalates, policy_for
from incidents.core.lifecycle import UNREAD
from incidents.core.services import incident_workflows
from incidents.models import Category, Escalation, Incident, MaturitySignal, SlaPolicy
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.refusals import audited_refusals
from iwms.tenancy import check_tenant_references
from organogram.hierarchy import Level, department_head_of, supervisor_levels, supervisor_of, top_of_hierarchy
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
    person: User,
    tenant: Organisation | int,
    at: datetime | None = None,
    *,
    up_to: int | None = None,
    supervisor: Level | object | None = UNREAD,
) -> list[Target]:
    """The levels a late item of `person` escalates to, in order: supervisor, department head,
    top of the hierarchy; a level held by the same position or person as one below it, or by
    `person` themself, is left out. With `up_to`, only that many are looked up (each costs a
    few queries). `supervisor`: the person's supervisor level, when the caller knows it
    (`organogram.hierarchy.supervisor_levels`)."""
    lookups = (
        ("supervisor", lambda: supervisor_of(person, at) if supervisor is UNREAD else supervisor),
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
        self._category_policies: dict[int, Any] = {}  # category id → its policy (None: seed defaults)
        self._defaults: dict[int, Any] = {}  # tenant id → its default policy, or None

    def policy(self, category: Category) -> Any:
        key = (category.organisation_id, category.sla_policy_id)
        if key not in self._policies:
            self._policies[key] = policy_for(category)
        return self._policies[key]

    def escalates(self, incidents: list[Incident]) -> dict[int, bool]:
        """Whether each incident's missed resolve deadline escalates (`incidents.sla.escalates`
        under its category's policy): two queries for the categories and tenants not seen yet
        in this sweep, none after."""
        unknown = {i.category_id for i in incidents} - self._category_policies.keys()
        if unknown:
            categories = Category.objects.filter(pk__in=unknown).select_related("sla_policy")
            categories = list(categories.only("pk", "organisation_id", "sla_policy"))
            tenants = {c.organisation_id for c in categories if c.sla_policy_id is None} - self._defaults.keys()
            if tenants:
                self._defaults.update(dict.fromkeys(tenants))
                for policy in SlaPolicy.objects.filter(organisation_id__in=tenants, is_default=True):
                    self._defaults[policy.organisation_id] = policy
            for category in categories:
                own = category.sla_policy if category.sla_policy_id is not None else None
                self._category_policies[category.pk] = own or self._defaults[category.organisation_id]
        return {i.pk: escalates(i.severity, self._category_policies[i.category_id]) for i in incidents}

    def template(self, category: Category) -> tuple[WorkflowTemplate, list[TemplateStep]]:
        key = (category.organisation_id, category.workflow_template_code)
        if key not in self._templates:
            self._templates[key] = template_steps_for_category_code(
                tenant=category.organisation_id, template_code=category.workflow_template_code
            )
        return self._templates[key]


@dataclass
class _Step:
    """One late incident's way up: the level it goes to and what is created there."""

    incident: Incident
    origin: Incident
    target: Level
    role: str
    level: int
    escalation: Escalation | None = None
    failure: Incident | None = None


def escalate_overdue(
    *,
    incident: Incident,
    missed_at: datetime,
    now: datetime,
    drafts: list[notifications.Draft] | None = None,
    lookups: Lookups | None = None,
) -> Escalation | None:
    """Escalate one late incident (see `escalate_many`)."""
    return escalate_many(late=[(incident, missed_at)], now=now, drafts=drafts, lookups=lookups)[0]


def escalate_many(
    *,
    late: list[tuple[Incident, datetime]],
    now: datetime,
    drafts: list[notifications.Draft] | None = None,
    lookups: Lookups | None = None,
    supervisors: Mapping[int, Level | None] | None = None,
) -> list[Escalation | None]:
    """Escalate each late incident (full rows, locked by the caller, each with the resolve
    deadline it has just missed) one level up, or stop at the top. Runs inside the caller's
    transaction; an incident already escalated to that level in its clock cycle is left alone
    (the unique (incident, cycle, level) constraint has the last word). The escalations, the failure-to-complete
    incidents and their workflows are written together, a few statements for all of them.
    Returns, in order, each new escalation, or None when there was nothing (left) to escalate
    to. With `drafts`, the notifications are added to it for the caller to send with others.
    `supervisors`: supervisor levels (`organogram.hierarchy.supervisor_levels`) the caller
    has already looked up, by person."""
    lookups = lookups or Lookups()
    outbox: list[notifications.Draft] = [] if drafts is None else drafts
    done = set(
        Escalation.objects.filter(incident__in=[i for i, _ in late]).values_list("incident_id", "cycle", "level")
    )
    origins = {incident.pk: origin_of(incident) for incident, _ in late}
    # Every chain starts with the supervisor: looked up for all the people at once.
    known = supervisors or {}
    people = {origin.responsible_id for origin in origins.values()}
    supervisors = {person: known[person] for person in people & known.keys()}
    supervisors |= supervisor_levels(people - known.keys(), now) if people - known.keys() else {}
    steps: list[_Step | None] = []
    for incident, missed_at in late:
        level = incident.escalation_level + 1
        if (incident.pk, incident.clock_cycle, level) in done:
            logger.info("%s was already escalated to level %s", incident.reference, level)
            steps.append(None)
            continue
        origin = origins[incident.pk]
        targets = escalation_targets(
            origin.responsible,
            origin.organisation_id,
            now,
            up_to=level,
            supervisor=supervisors[origin.responsible_id],
        )
        if level > len(targets):
            _stop_at_top(incident=incident, origin=origin, missed_at=missed_at)
            steps.append(None)
            continue
        target = targets[level - 1]
        escalation = Escalation(
            organisation_id=incident.organisation_id,
            incident=incident,
            level=level,
            cycle=incident.clock_cycle,
            to_person=target.level.holder,
            to_position=target.level.position,
            reason=f"{incident.reference} missed its resolve deadline of {clocks.local_time(missed_at)}.",
            escalated_at=now,
            # The failure-to-complete incident's acknowledge deadline: it is reported now, under its category's policy.
            ack_due_at=deadlines_for(incident.severity, now, lookups.policy(incident.category)).ack_due_at,
        )
        steps.append(_Step(incident, origin, target.level, target.role, level, escalation))
    raised = [step for step in steps if step is not None]
    if raised:
        _raise(raised, now, lookups, outbox)
    if drafts is None:
        notifications.notify_many(outbox)
    return [step.escalation if step is not None else None for step in steps]


def _raise(steps: list[_Step], now: datetime, lookups: Lookups, outbox: list[notifications.Draft]) -> None:
    """Write the escalations, their failure-to-complete incidents with workflows (per tenant),
    the late incidents' new level, vacant-supervisor signals, the ledger and the messages."""
    for step in steps:
        check_tenant_references(step.escalation)  # what save() checks: the rows go in without it
    Escalation.objects.bulk_create([step.escalation for step in steps])
    by_tenant: dict[int, list[_Step]] = {}
    for step in steps:
        by_tenant.setdefault(step.incident.organisation_id, []).append(step)
    for tenant_steps in by_tenant.values():
        tenant = tenant_steps[0].incident.organisation
        for step in tenant_steps:
            step.failure = _failure_to_complete(step, now, lookups)
        failures = [step.failure for step in tenant_steps]
        lifecycle.create_incidents(tenant=tenant, incidents=failures, actor=SWEEP_ACTOR)
        incident_workflows.start_incident_workflows(
            tenant=tenant, incidents=failures, actor=SWEEP_ACTOR, templates=lookups.template
        )
    moment = timezone.now()
    for step in steps:
        step.incident.escalation_level = step.level
        step.incident.updated_at = moment
    bulk_update_with_history([step.incident for step in steps], Incident, ["escalation_level", "updated_at"])
    signals = [
        MaturitySignal(
            organisation_id=step.incident.organisation_id,
            unit=step.target.skipped_vacant[0].unit,
            kind=SignalKind.VACANT_SUPERVISOR,
            incident=step.failure,
            detail=f"Escalation of {step.incident.reference} passed the vacant position "
            f"{step.target.skipped_vacant[0]} to reach {step.target.holder} ({step.target.position}).",
        )
        for step in steps
        if step.target.flagged
    ]
    if signals:
        MaturitySignal.objects.bulk_create(signals, ignore_conflicts=True)
    for step in steps:
        incident, target, failure = step.incident, step.target, step.failure
        record_event(
            tenant=incident.organisation_id,
            action=AuditAction.ESCALATE,
            actor=SWEEP_ACTOR,
            obj=step.origin,
            message=f"Escalated to level {step.level} ({step.role}): {target.holder}, "
            f"{target.position}. {incident.reference} missed its resolve deadline; {failure.reference} was created "
            f"for {target.holder} to see it completed.",
            changes={
                "escalation": step.escalation.pk,
                "level": step.level,
                "late": incident.reference,
                "to_person": target.holder.pk,
                "to_position": target.position.pk,
                "failure_to_complete": failure.reference,
                "vacant_skipped": [p.code for p in target.skipped_vacant],
            },
        )
        outbox += _escalation_drafts(escalation=step.escalation, incident=incident, failure=failure)


def _failure_to_complete(step: _Step, now: datetime, lookups: Lookups) -> Incident:
    """The failure-to-complete incident of an escalation, built (`create_incidents` writes it)."""
    incident, target = step.incident, step.target
    narrative = (
        f"{incident.reference} '{incident.title}' was not completed by its resolve deadline of "
        f"{clocks.local_time(incident.resolve_due_at)}. {incident.responsible} is responsible for it and "
        f"{incident.owner} is accountable. This failure-to-complete incident holds {target.holder} "
        f"({target.position}), level {step.level} of the escalation of {step.origin.reference}, accountable for "
        f"seeing the work completed and for what the organisation learns from the delay. If it is not completed in "
        f"time it escalates one level further."
    )
    return lifecycle.new_incident(
        tenant=incident.organisation,
        kind=IncidentKind.OTHER_GOVERNED_EVENT,
        source=Source.SYSTEM,
        system_reason=SystemReason.OVERDUE,
        source_reference=source_reference(step.escalation),
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
        escalation_level=step.level,
        policy=lookups.policy(incident.category),
        now=now,
    )


def _stop_at_top(*, incident: Incident, origin: Incident, missed_at: datetime) -> None:
    unit = origin.owner_position.unit
    created = MaturitySignal.objects.bulk_create(
        [
            MaturitySignal(
                organisation_id=origin.organisation_id,
                unit=unit,
                kind=SignalKind.ESCALATED_TO_TOP,
                incident=origin,
                cycle=origin.clock_cycle,
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
    from incidents.core.policy import may_acknowledge_escalation

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
            lifecycle.acknowledge_incident(incident=failure, actor=actor)
    return locked
