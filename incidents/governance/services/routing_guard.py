"""The safeguard of every structure change: a change that would leave an open incident routed
to nobody — its responsible person without a position, nobody above them to decide on its
closure, or its owner's position retired — is refused, naming the incidents concerned.

The check compares the routing of the incidents the change can touch before and after it, so
a change is refused only for what it breaks, never for a problem the structure already had."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from django.db import transaction
from django.db.models import Q

from incidents.choices import IncidentStatus
from incidents.core.routing import decider_of
from incidents.models import Incident
from iwms.errors import PolicyError
from organogram.hierarchy import assignments_at, primary_position
from organogram.models import Position

T = TypeVar("T")


def positions_below(position: Position) -> list[int]:
    """The position and every position that reports to it, directly or not."""
    return list(Position.objects.descendants(position, include_self=True).values_list("pk", flat=True))


def open_incidents_touching(position_ids: Iterable[int], at: datetime) -> list[Incident]:
    """Open incidents whose responsible person holds one of the positions (now or at `at`), or
    whose owner's position is one of them."""
    ids = list(position_ids)
    people = set(assignments_at(at).filter(position_id__in=ids).values_list("person_id", flat=True))
    people |= set(assignments_at().filter(position_id__in=ids).values_list("person_id", flat=True))
    return list(
        Incident.objects.exclude(status=IncidentStatus.CLOSED)
        .filter(Q(responsible_id__in=people) | Q(owner_position_id__in=ids))
        .select_related("responsible", "owner_position", "reporter")
        .order_by("reference")
    )


def routing_gap(incident: Incident, at: datetime) -> str:
    """Why the incident would reach nobody at `at` ('' when it reaches someone)."""
    owner_position = Position.objects.filter(pk=incident.owner_position_id).only("is_active", "title").first()
    if owner_position is None or not owner_position.is_active:
        return f"its owner's position {incident.owner_position} would no longer exist"
    position = primary_position(incident.responsible, at)
    if position is None:
        return f"{incident.responsible}, responsible for it, would hold no position"
    if decider_of(incident, at) is None:
        return f"nobody would hold a position above {position} to decide on its closure"
    return ""


def refuse_if_unrouted(*, position_ids: Iterable[int], at: datetime, change: Callable[[], T], obj: object) -> T:
    """Run `change` (inside the caller's transaction) and refuse it with
    `organogram.leaves_unrouted` when an open incident that reached someone before would reach
    nobody after; the refusal lists each incident and why."""
    incidents = open_incidents_touching(position_ids, at)
    before = {incident.pk: routing_gap(incident, at) for incident in incidents}
    with transaction.atomic():
        result = change()
        broken = []
        for incident in incidents:
            incident.refresh_from_db(fields=["responsible", "owner_position"])
            gap = routing_gap(incident, at)
            if gap and not before[incident.pk]:
                broken.append(f"{incident.reference} ({incident.title}): {gap}")
        if broken:  # raised inside the block, so the change rolls back with it
            raise PolicyError.on(
                "organogram.leaves_unrouted",
                "This change would leave open incidents routed to nobody — hand them over or correct the "
                "structure first: " + "; ".join(broken),
                obj,
                affected=broken,
            )
    return result
