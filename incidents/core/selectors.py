"""Reads of incidents that depend on who asks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypedDict

from django.db.models import (
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Cast
from django.utils import timezone

from arc.choices import Role
from arc.cross_tenant import not_found
from arc.models import RoleGrant
from incidents.choices import FINAL_STATUSES, ClockKind, IncidentStatus, SignalKind, SystemReason
from incidents.core.routing import decider_of
from incidents.models import (
    Breach,
    ClosureDecision,
    Escalation,
    Incident,
    MaturitySignal,
    ReportDraft,
)
from iwms.choices import AuditAction
from iwms.models import AuditEvent, User
from organogram.hierarchy import people_below
from workflows.models import Evidence, Step, WorkflowRun

SUBJECT = "incidents.incident"

LIST_RELATED = ("category", "owner", "responsible", "reporter")
EXTERNAL_ROLES = (Role.AUDITOR, Role.REGULATOR, Role.EXTERNAL_PROVIDER)


def _own_items(user: User) -> Q:
    """The incidents a person has a part in: reported (or linked a report of theirs to, as the
    same event), owns, is responsible for or executes a step of (an external provider executing
    a step sees the step in the portal, not the incident)."""
    executes_a_step = Step.objects.filter(
        assignee=user, run__subject_type="incidents.incident", run__subject_id=Cast(OuterRef("pk"), CharField())
    )
    now = timezone.now()
    external = RoleGrant.objects.filter(
        user=user, role__in=EXTERNAL_ROLES, revoked_at__isnull=True, starts_at__lte=now
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    linked_a_report = ReportDraft.objects.filter(reporter=user, linked_to=OuterRef("pk"))
    return (
        Q(reporter=user)
        | Q(owner=user)
        | Q(responsible=user)
        | Exists(linked_a_report)
        | (Exists(executes_a_step) & ~Exists(external))
    )


def incidents_for_user(user: User) -> QuerySet[Incident]:
    """Incidents of the user's tenant that the user reported, owns, is responsible for or
    executes a step of: "my items". (What a person sees beyond those, as a manager, is
    `incidents_visible_to`; auditors' portals and grants have their own scope.)"""
    if not user.is_authenticated or user.organisation_id is None:
        return Incident.objects.none()
    return Incident.objects.for_tenant(user.organisation_id).filter(_own_items(user)).select_related(*LIST_RELATED)


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    """Every incident of the user's tenant the user may see: their own items
    (`incidents_for_user`), and, as a manager, those whose responsible person holds a
    position below one the user holds (their supervisor, department head, up to the top),
    those escalated to them and those they decided on. The one visibility rule: the incident
    page, the managers' incident list and its export all start from it."""
    if not user.is_authenticated or user.organisation_id is None:
        return Incident.objects.none()
    escalated = Escalation.objects.filter(organisation_id=user.organisation_id, to_person=user).values("incident_id")
    decided = ClosureDecision.objects.filter(organisation_id=user.organisation_id, decider=user).values("incident_id")
    return (
        Incident.objects.for_tenant(user.organisation_id)
        .filter(_own_items(user) | Q(responsible_id__in=people_below(user)) | Q(pk__in=escalated) | Q(pk__in=decided))
        .select_related(*LIST_RELATED)
    )


def reports_linked_by(user: User, incident_ids: Iterable[int] | None = None) -> dict[int, ReportDraft]:
    """The user's reports that they linked to an existing incident as the same event, by that
    incident's id (the latest when several were linked to one), among `incident_ids` if given."""
    if not user.is_authenticated or user.organisation_id is None:
        return {}
    drafts = ReportDraft.objects.for_tenant(user.organisation_id).filter(reporter=user, linked_to__isnull=False)
    if incident_ids is not None:
        drafts = drafts.filter(linked_to_id__in=list(incident_ids))
    return {draft.linked_to_id: draft for draft in drafts.order_by("updated_at", "pk")}


def get_incident_for_user(user: User, reference: str) -> Incident:
    """An incident `incidents_visible_to(user)`; 404 — never 403 — for any other, so
    references do not leak."""
    incident = incidents_visible_to(user).select_related("owner_position", "parent").filter(reference=reference).first()
    if incident is None:
        raise not_found(user, Incident, "No such incident.", reference=reference)
    return incident


def timeline_for(incident: Incident) -> QuerySet[AuditEvent]:
    """The incident's ledger events and those of its workflow (runs, steps, evidence), in
    chain order: the timeline is rebuilt from the ledger alone."""
    runs = WorkflowRun.objects.filter(subject_type="incidents.incident", subject_id=str(incident.pk))
    run_ids = [str(pk) for pk in runs.values_list("pk", flat=True)]
    step_ids = [str(pk) for pk in Step.objects.filter(run__in=runs).values_list("pk", flat=True)]
    evidence_ids = [str(pk) for pk in Evidence.objects.filter(step__run__in=runs).values_list("pk", flat=True)]
    return (
        AuditEvent.objects.filter(organisation_id=incident.organisation_id)
        .filter(
            Q(object_type="incidents.incident", object_id=str(incident.pk))
            | Q(object_type="workflows.workflowrun", object_id__in=run_ids)
            | Q(object_type="workflows.step", object_id__in=step_ids)
            | Q(object_type="workflows.evidence", object_id__in=evidence_ids)
        )
        .select_related("actor")
        .order_by("seq")
    )


def next_actions(incident: Incident) -> list[str]:
    """What has to happen next and who holds it, in words for the incident page."""
    status = incident.status
    if status == IncidentStatus.OPEN:
        return [f"{incident.responsible} acknowledges the incident and starts the workflow."]
    if status == IncidentStatus.IN_PROGRESS:
        steps = Step.objects.filter(
            run__subject_type="incidents.incident", run__subject_id=str(incident.pk), run__kind="main"
        ).select_related("assignee")
        open_steps = [s for s in steps if s.mandatory and s.status not in ("completed", "not_applicable")]
        actions = [
            f"Step {s.position} '{s.name}': {s.assignee or incident.responsible}"
            + (" (paused for information)" if s.status == "paused" else "")
            for s in open_steps
        ]
        return actions or [f"{incident.responsible} clicks Complete to send the work for review."]
    if status == IncidentStatus.HALF_CLOSED:
        return ["The automated review checks the steps and evidence."]
    if status == IncidentStatus.PENDING_CLOSURE:
        route = decider_of(incident)
        who = f"{route.level.holder} ({route.level.position})" if route else "the supervisor one level up"
        return [f"{who} decides on closure (approve with the closure checklist, reject or ask for more evidence)."]
    return []


# --- the incident page's live panel: status, deadlines, escalation ----------------------------

DEADLINE_CLOCKS = (
    ("Acknowledge", ClockKind.ACKNOWLEDGE, "ack_due_at"),
    ("Contain", ClockKind.CONTAIN, "contain_due_at"),
    ("Resolve", ClockKind.RESOLVE, "resolve_due_at"),
    ("Closure decision", ClockKind.DECISION, "decision_due_at"),
)


class DeadlineRow(TypedDict):
    label: str
    due: datetime | None
    breached_at: datetime | None
    met: bool  # the clock stopped for good before its deadline (acknowledged, contained, closed)
    stopped: str  # why it does not run now, in words ("" while it runs)


def deadline_rows(incident: Incident) -> list[DeadlineRow]:
    """The incident's own deadlines in its current clock cycle with the breach recorded against
    each, in one query. A breach stays shown after a severity change moved the deadline (it is
    a fact); the closure decision's row shows while the incident is pending closure."""
    breaches = dict(
        Breach.objects.filter(incident=incident, cycle=incident.clock_cycle, subject_key="")
        .values_list("clock", "breached_at")
        .order_by("id")
    )
    decision = incident.decision_started_at is not None and (
        Breach.objects.filter(
            incident=incident,
            cycle=incident.clock_cycle,
            clock=ClockKind.DECISION,
            subject_key=str(int(incident.decision_started_at.timestamp())),
        )
        .values_list("breached_at", flat=True)
        .first()
    )
    if decision:
        breaches[ClockKind.DECISION] = decision
    closed = incident.status in FINAL_STATUSES  # closed or merged: no clock of its own runs
    paused = incident.clocks_paused_at is not None
    rows: list[DeadlineRow] = []
    for label, kind, attribute in DEADLINE_CLOCKS:
        due = getattr(incident, attribute)
        if kind == ClockKind.DECISION and due is None:
            continue
        stopped = ""
        if closed:
            stopped = incident.get_status_display()
        elif kind == ClockKind.ACKNOWLEDGE and incident.acknowledged_at is not None:
            stopped = "acknowledged"
        elif kind == ClockKind.CONTAIN and incident.contained_at is not None:
            stopped = "contained"
        elif kind in (ClockKind.CONTAIN, ClockKind.RESOLVE) and paused:
            stopped = "submitted"
        rows.append(
            {
                "label": label,
                "due": due,
                "breached_at": breaches.get(kind),
                "met": bool(stopped) and stopped != "submitted",
                "stopped": stopped,
            }
        )
    return rows


def escalation_story(incident: Incident, events: Iterable[AuditEvent]) -> dict[str, Any]:
    """The escalation of `incident` as its ledger tells it: each level raised (to whom, when,
    the failure-to-complete incident that follows it up, acknowledged or not) and the stop at
    the top of the hierarchy. The escalations of a chain are recorded on the original
    incident, so a few queries whatever the number of levels."""
    # The current clock cycle's escalations: those after the incident's last reopen (the earlier
    # cycles' stay on the timeline).
    events = list(events)
    reopens = [
        event.seq
        for event in events
        if event.object_type == "incidents.incident"
        and isinstance(event.changes, dict)
        and event.changes.get("status") == [IncidentStatus.CLOSED, IncidentStatus.IN_PROGRESS]
    ]
    since = max(reopens, default=-1)
    ids = {
        event.changes["escalation"]
        for event in events
        if event.seq > since
        and event.action == AuditAction.ESCALATE
        and isinstance(event.changes, dict)
        and "escalation" in event.changes
    }
    escalations = (
        Escalation.objects.filter(organisation_id=incident.organisation_id, pk__in=ids)
        .select_related("to_person", "to_position", "acknowledged_by")
        .order_by("level", "pk")
        if ids
        else []
    )
    stopped = (
        MaturitySignal.objects.filter(incident=incident, kind=SignalKind.ESCALATED_TO_TOP, cycle=incident.clock_cycle)
        .select_related("unit")
        .first()
        if incident.escalation_level
        else None
    )
    return {"escalations": with_failure_to_complete(escalations), "stopped": stopped}


def live_state(incident: Incident) -> dict[str, Any]:
    """What the incident page re-reads every few seconds, in a fixed number of queries."""
    timeline = list(timeline_for(incident))
    return {
        "incident": incident,
        "timeline": timeline,
        "deadline_rows": deadline_rows(incident),
        **escalation_story(incident, timeline),
    }


# What a queue row shows; the narrative and the rest of the incident stay in the database.


def with_failure_to_complete(escalations: Iterable[Escalation]) -> list[Escalation]:
    """Attach to each escalation (as `.failure`) the failure-to-complete incident it created, in one query."""
    escalations = list(escalations)
    if not escalations:
        return escalations
    failures = Incident.objects.filter(
        organisation_id=escalations[0].organisation_id,
        parent_id__in={e.incident_id for e in escalations},
        system_reason=SystemReason.OVERDUE,
    ).only("pk", "reference", "title", "status", "parent_id", "source_reference")
    by_source = {f.source_reference: f for f in failures}
    for item in escalations:
        item.failure = by_source.get(f"escalation:{item.pk}")
    return escalations
