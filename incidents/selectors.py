"""Reads of incidents that depend on who asks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from math import ceil
from typing import Any, TypedDict

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, JSONObject
from django.http import Http404
from django.utils import timezone

from arc.choices import Role
from arc.cross_tenant import not_found
from arc.models import RoleGrant
from incidents.choices import ClockKind, DecisionKind, IncidentStatus, SignalKind, SystemReason
from incidents.models import (
    Breach,
    BreachWarning,
    ClosureDecision,
    Escalation,
    Incident,
    MaturitySignal,
    ReportDraft,
)
from incidents.routing import decider_of, decision_scope
from iwms.choices import AuditAction
from iwms.models import AuditEvent, User
from iwms.prepared_queries import SENTINEL_ID, SENTINEL_TEXT, SENTINEL_TIME, PreparedQuery, sentinel_ids
from organogram.hierarchy import assignments_at, people_below
from workflows.choices import RunKind
from workflows.models import Evidence, Review, Step, WorkflowRun
from workflows.selectors import steps_with_evidence

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
    closed = incident.status == IncidentStatus.CLOSED
    paused = incident.clocks_paused_at is not None
    rows: list[DeadlineRow] = []
    for label, kind, attribute in DEADLINE_CLOCKS:
        due = getattr(incident, attribute)
        if kind == ClockKind.DECISION and due is None:
            continue
        stopped = ""
        if closed:
            stopped = "closed"
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


# --- the closure queue ------------------------------------------------------------------------

NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)  # sorts an incident without a resolve deadline last
# What a queue row shows; the narrative and the rest of the incident stay in the database.
QUEUE_VALUES = (
    "pk",
    "reference",
    "title",
    "severity",
    "resolve_due_at",
    "category__name",
    "responsible__first_name",
    "responsible__last_name",
    "responsible__username",
    "escalated_to_me",
    "queue_total",
    "latest_review",
)


class LatestReview(TypedDict):
    """A queue row's last review of the incident's workflow (`latest_review`; None when the
    workflow has not been reviewed)."""

    sequence: int
    verdict: str
    findings: list[dict[str, Any]]


def closure_queue_for(
    user: User, *, severity: str = "", category_id: int | None = None, unit_id: int | None = None
) -> QuerySet[dict[str, Any]]:
    """Incidents pending closure that `user` decides on: those whose responsible person
    reports to them (one level up, vacant levels skipped, at the time of asking) and those
    escalated to them; never what they reported. Most urgent first: time to breach of the
    resolve deadline, then severity. Filtering by unit keeps the people whose position is in
    that unit. Rows are the values of `QUEUE_VALUES`; each carries `queue_total`, the length
    of the whole queue, so one query serves a page and its count, and `latest_review` (a
    `LatestReview`), which the database reads for the rows of the page only."""
    if not user.is_authenticated or user.organisation_id is None:
        return Incident.objects.none()
    return _closure_queue(**_queue_terms(user, severity=severity, category_id=category_id, unit_id=unit_id))


def closure_queue_page(
    user: User,
    *,
    number: int,
    size: int,
    severity: str = "",
    category_id: int | None = None,
    unit_id: int | None = None,
) -> tuple[list[dict[str, Any]], int, int]:
    """Page `number` (from 1) of `closure_queue_for(user, …)` in pages of `size`, or the last
    page when `number` is past the end: (rows, page number, length of the queue). The page's
    rows are read through the same SQL compiled once per shape of the query (the filters used,
    the lengths of the lists of people and escalated incidents, the page): building the
    queue's query with the ORM cost the page more than running it."""
    if not user.is_authenticated or user.organisation_id is None:
        return [], 1, 0
    terms = _queue_terms(user, severity=severity, category_id=category_id, unit_id=unit_id)
    shape = (
        len(terms["people"]),
        len(terms["escalated"]),
        bool(severity),
        category_id is not None,
        unit_id is not None,
        (number - 1) * size,
        size,
    )
    rows = _prepared_queue(shape).dicts(**terms)
    if rows:
        return rows, number, rows[0]["queue_total"]
    if number == 1:  # an empty first page is an empty queue
        return [], 1, 0
    # Past the end of a queue shorter than the page asked for: its last page.
    queue = _closure_queue(**terms)
    total = queue.count()
    if not total:
        return [], 1, 0
    last = ceil(total / size)
    return list(queue[(last - 1) * size : last * size]), last, total


def _queue_terms(user: User, *, severity: str, category_id: int | None, unit_id: int | None) -> dict[str, Any]:
    """The values the queue's query is built from (the arguments of `_closure_queue`)."""
    scope = decision_scope(user)
    people = scope.person_ids
    if unit_id is not None:
        people = [pk for pk, unit in scope.units_by_person.items() if unit == unit_id]
    return {
        "tenant": user.organisation_id,
        "reporter": user.pk,
        "people": people,
        "escalated": list(scope.escalated_incident_ids),
        "severity": severity,
        "category_id": category_id,
        "unit_id": unit_id,
        "now": timezone.now(),
    }


@lru_cache(maxsize=256)
def _prepared_queue(shape: tuple[int, int, bool, bool, bool, int, int]) -> PreparedQuery:
    people, escalated, severity, category, unit, offset, limit = shape
    return PreparedQuery(
        lambda **terms: _closure_queue(**terms)[offset : offset + limit],
        tenant=SENTINEL_ID,
        reporter=SENTINEL_ID - 1,
        people=sentinel_ids(people, SENTINEL_ID - 10),
        escalated=sentinel_ids(escalated, SENTINEL_ID - 10 - people),
        severity=SENTINEL_TEXT if severity else "",
        category_id=SENTINEL_ID - 2 if category else None,
        # The unit and the time only ask which escalated incidents are in the unit: with none
        # escalated, the unit filter is the list of people alone.
        unit_id=SENTINEL_ID - 3 if unit and escalated else None,
        now=SENTINEL_TIME if unit and escalated else None,
    )


def _closure_queue(
    *,
    tenant: int,
    reporter: int,
    people: list[int],
    escalated: list[int],
    severity: str,
    category_id: int | None,
    unit_id: int | None,
    now: datetime | None,
) -> QuerySet[dict[str, Any]]:
    # Plain IN lists (not subqueries) let the database reach the few rows through indexes on
    # the responsible person and the primary key instead of walking every pending incident.
    escalated_to_me = Q(pk__in=escalated)
    if unit_id is not None:
        escalated_to_me &= Q(
            Exists(
                assignments_at(now).filter(
                    person_id=OuterRef("responsible_id"), position__unit_id=unit_id, position__is_active=True
                )
            )
        )
    queue = (
        Incident.objects.for_tenant(tenant)
        .filter(status=IncidentStatus.PENDING_CLOSURE)
        .filter(Q(responsible_id__in=people) | escalated_to_me)
        .exclude(reporter_id=reporter)
    )
    if severity:
        queue = queue.filter(severity=severity)
    if category_id is not None:
        queue = queue.filter(category_id=category_id)
    return (
        queue.annotate(
            escalated_to_me=Case(
                When(pk__in=escalated, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            queue_total=Window(Count("pk")),
            latest_review=Subquery(
                Review.objects.filter(
                    run__organisation_id=OuterRef("organisation_id"),
                    run__subject_type=SUBJECT,
                    run__subject_id=Cast(OuterRef("pk"), CharField()),
                    run__kind=RunKind.MAIN,
                )
                .order_by("-sequence")
                .values(review=JSONObject(sequence="sequence", verdict="verdict", findings="findings"))[:1],
                output_field=JSONField(),
            ),
        )
        # Ordering by an expression, not the indexed column, keeps the database from walking
        # every pending incident of the tenant in deadline order (the count needs all of the
        # person's rows anyway): it reaches the few through the responsible-person index and sorts.
        .order_by(Coalesce("resolve_due_at", Value(NO_DEADLINE)), "severity", "pk")
        .values(*QUEUE_VALUES)
    )


def work_steps(incident: Incident, run: WorkflowRun | None) -> list[Step]:
    """The steps of the work page: the workflow's, then those of the corrective workflows a
    supervisor sent back with a rejected closure."""
    steps = steps_with_evidence(run) if run else []
    corrective = WorkflowRun.objects.filter(
        organisation_id=incident.organisation_id,
        subject_type=SUBJECT,
        subject_id=str(incident.pk),
        kind=RunKind.CORRECTIVE,
    ).order_by("started_at", "pk")
    for extra in corrective:
        steps += steps_with_evidence(extra)
    return steps


def requested_evidence(incident: Incident) -> list[dict[str, str]]:
    """The items of evidence the last decision asked for, while the incident is back in
    progress because of it ([{"step": key, "item": text}, …]); empty otherwise."""
    if incident.status != IncidentStatus.IN_PROGRESS:
        return []
    last = ClosureDecision.objects.filter(incident=incident).order_by("-created_at", "-id").first()
    if last is None or last.kind != DecisionKind.MORE_EVIDENCE:
        return []
    return list(last.requested_items)


# --- escalations and breach warnings addressed to a person ------------------------------------


def escalations_for_user(user: User) -> QuerySet[Escalation]:
    """Escalations to the user: those waiting for acknowledgement first (the most pressing
    first), then the acknowledged ones, latest first."""
    if not user.is_authenticated or user.organisation_id is None:
        return Escalation.objects.none()
    return (
        Escalation.objects.for_tenant(user.organisation_id)
        .filter(to_person=user)
        .select_related("incident__responsible", "to_position", "acknowledged_by")
        .order_by(F("acknowledged_at").desc(nulls_first=True), "ack_due_at", "-escalated_at", "-id")
    )


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


def get_escalation_for_user(user: User, escalation_id: int) -> Escalation:
    """404 for an escalation addressed to someone else."""
    escalation = escalations_for_user(user).filter(pk=escalation_id).first()
    if escalation is None:
        raise not_found(user, Escalation, "No such escalation for you.", pk=escalation_id)
    return escalation


def get_mitigation_warning_for_user(user: User, warning_id: int) -> BreachWarning:
    """A warning that asked the user, as responsible person, for a mitigation note; else 404."""
    if not user.is_authenticated or user.organisation_id is None:
        raise Http404("No such warning.")
    warning = (
        BreachWarning.objects.for_tenant(user.organisation_id)
        .filter(pk=warning_id, mitigation_requested=True, incident__responsible=user)
        .select_related("incident__responsible", "incident__owner")
        .first()
    )
    if warning is None:
        raise not_found(user, BreachWarning, "No such warning.", pk=warning_id)
    return warning
