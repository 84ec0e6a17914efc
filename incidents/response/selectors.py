"""Reads of the response app that depend on who asks, and the figures its KPIs come from."""

from __future__ import annotations

from datetime import timedelta
from statistics import mean
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from arc.cross_tenant import not_found
from incidents.core.selectors import incidents_visible_to
from incidents.models import Incident
from incidents.response.choices import ActionStatus, AssignmentStatus, ReviewStatus
from incidents.response.models import (
    ActionItem,
    Communication,
    IncidentNote,
    IncidentResponse,
    PostIncidentReview,
    RoleAssignment,
    UpdateLapse,
)
from incidents.response.services.roles import role_choices
from iwms.models import User

HOLDING = (AssignmentStatus.ACTIVE, AssignmentStatus.PROPOSED)


def incidents_for_responder(user: User) -> QuerySet[Incident]:
    """What the person may see as a manager or involved person, and what they hold (or are
    offered) a response role on."""
    if not user.is_authenticated or user.organisation_id is None:
        return Incident.objects.none()
    held = RoleAssignment.objects.filter(holder=user, status__in=HOLDING).values("incident_id")
    return Incident.objects.for_tenant(user.organisation_id).filter(
        Q(pk__in=incidents_visible_to(user).values("pk")) | Q(pk__in=held)
    )


def get_incident_for_responder(user: User, reference: str) -> Incident:
    incident = (
        incidents_for_responder(user)
        .select_related("owner", "responsible", "category")
        .filter(reference=reference)
        .first()
    )
    if incident is None:
        raise not_found(user, Incident, "No such incident.", reference=reference)
    return incident


def roles_on(incident: Incident) -> list[dict[str, Any]]:
    """Every role with its holder now and any pending hand-over, built-in roles first."""
    assignments = RoleAssignment.objects.filter(incident=incident, status__in=HOLDING).select_related("holder")
    by_role: dict[str, dict[str, Any]] = {}
    for a in assignments:
        by_role.setdefault(a.role, {})[a.status] = a
    return [
        {
            "code": code,
            "label": label,
            "holder": by_role.get(code, {}).get(AssignmentStatus.ACTIVE),
            "proposed": by_role.get(code, {}).get(AssignmentStatus.PROPOSED),
        }
        for code, label in role_choices(incident.organisation_id)
    ]


def response_state(incident: Incident) -> dict[str, Any]:
    """What the incident's response page shows, in a fixed number of queries."""
    return {
        "incident": incident,
        "roles": roles_on(incident),
        "record": IncidentResponse.objects.filter(incident=incident).first(),
        "notes": list(IncidentNote.objects.filter(incident=incident).select_related("author")),
        "communications": list(
            Communication.objects.filter(incident=incident).select_related("sender").prefetch_related("groups")
        ),
        "lapses": list(UpdateLapse.objects.filter(incident=incident)),
        "review": PostIncidentReview.objects.filter(incident=incident).select_related("owner").first(),
    }


def my_role_assignments(user: User) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(holder=user, status__in=HOLDING)
        .select_related("incident", "assigned_by")
        .order_by("status", "-created_at")
    )


def reviews_for(user: User, query: str = "") -> QuerySet[PostIncidentReview]:
    """Reviews of the incidents the person may see, optionally searched in their text."""
    reviews = PostIncidentReview.objects.filter(incident__in=incidents_for_responder(user)).select_related(
        "incident", "owner"
    )
    if query:
        words = Q()
        for field in ("incident__reference", "incident__title", "summary", "root_cause", "contributing_factors"):
            words |= Q(**{f"{field}__icontains": query})
        reviews = reviews.filter(words)
    return reviews.prefetch_related(Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")))


def _minutes(deltas: list[timedelta]) -> float | None:
    return round(mean(d.total_seconds() for d in deltas) / 60, 1) if deltas else None


def response_kpis(tenant_id: int) -> dict[str, Any]:
    """MTTD, MTTA, MTTC, MTTR (mean minutes), communication compliance and the review KPIs of
    seeds 003 and 004, from what is stored."""
    rows = IncidentResponse.objects.filter(organisation_id=tenant_id).values(
        "detected_at",
        "mitigated_at",
        "resolved_at",
        "incident__occurred_at",
        "incident__reported_at",
        "incident__acknowledged_at",
        "incident__contained_at",
    )
    detect, ack, contain, resolve = [], [], [], []
    for r in rows:
        detected = r["detected_at"] or r["incident__reported_at"]
        detect.append(detected - r["incident__occurred_at"])
        if r["incident__acknowledged_at"]:
            ack.append(r["incident__acknowledged_at"] - detected)
        if contained := (r["mitigated_at"] or r["incident__contained_at"]):
            contain.append(contained - detected)
        if r["resolved_at"]:
            resolve.append(r["resolved_at"] - detected)
    due = list(
        Communication.objects.filter(organisation_id=tenant_id, due_at__isnull=False).values_list("sent_at", "due_at")
    )
    on_time = sum(1 for sent, due_at in due if sent <= due_at)
    reviews = list(
        PostIncidentReview.objects.filter(organisation_id=tenant_id).values_list("status", "accepted_at", "due_at")
    )
    items = list(ActionItem.objects.filter(organisation_id=tenant_id).values_list("status", flat=True))
    accepted = [r for r in reviews if r[0] == ReviewStatus.ACCEPTED]
    return {
        "mttd": _minutes(detect),
        "mtta": _minutes(ack),
        "mttc": _minutes(contain),
        "mttr": _minutes(resolve),
        "incidents": len(detect),
        "updates_due": len(due),
        "updates_on_time": on_time,
        "late_updates": UpdateLapse.objects.filter(organisation_id=tenant_id).count(),
        "communication_compliance": round(100 * on_time / len(due), 1) if due else None,
        "reviews": len(reviews),
        "reviews_accepted": len(accepted),
        "reviews_on_time": sum(1 for _, at, due_at in accepted if at <= due_at),
        "action_items": len(items),
        "action_items_done": items.count(ActionStatus.DONE),
    }
