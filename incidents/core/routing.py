"""Closure routing from the organogram at decision time: who decides on an incident pending
closure, and whose incidents a person decides on. Both cost a fixed number of queries,
whatever the size of the organogram.

The decider is the holder of the position one level up from the responsible person. A vacant
or abolished level is skipped (and flagged, so a maturity signal can be raised), and so is a
level held by anyone who reported the incident, was ever responsible for it or handed it off
(the ARC trace): nobody decides on what they reported or worked on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from arc.choices import DelegationScope, DelegationStatus
from arc.models import Delegation
from incidents.models import Escalation, Incident
from iwms.models import User
from organogram.choices import AssignmentKind
from organogram.hierarchy import Level, escalation_chain, primary_position, supervisor_of
from organogram.models import Position, PositionAssignment


@dataclass(frozen=True)
class Route:
    """Who decides on an incident: the level that answers, and whether a level held by its
    reporter, or by someone who was responsible for it, was passed over to reach it."""

    level: Level
    passed_reporter: bool = False


def decider_of(incident: Incident, at: datetime | None = None, *, responsible: User | None = None) -> Route | None:
    """The level that decides on `incident` now (None when nobody holds a position above the
    responsible person, or above `responsible` when given)."""
    passed_reporter = False
    involved = involved_ids(incident)
    for level in escalation_chain(responsible or incident.responsible, at):
        if level.holder.pk in involved:
            passed_reporter = True
            continue
        return Route(level, passed_reporter)
    return None


def involved_ids(incident: Incident) -> set[int]:
    """Everyone who reported the incident, was ever responsible for it or handed it off: its
    reporter, its initial and current responsible person, and both ends of every hand-off of
    its responsibility that took effect (the ARC trace). None of them decides on it."""
    ids = {incident.initial_responsible_id, incident.responsible_id, incident.reporter_id}
    for from_id, to_id, status in Delegation.objects.filter(
        organisation_id=incident.organisation_id,
        subject_type="incidents.incident",
        subject_id=str(incident.pk),
        scope=DelegationScope.RESPONSIBILITY,
    ).values_list("from_person_id", "to_person_id", "status"):
        ids.add(from_id)
        if status == DelegationStatus.ACCEPTED:
            ids.add(to_id)
    ids.discard(None)
    return ids


@dataclass(frozen=True)
class DecisionScope:
    """What a person decides on: the people whose supervisor they are, with the unit of the
    position through which each reports to them, and the incidents escalated to them."""

    units_by_person: dict[int, int]
    escalated_incident_ids: tuple[int, ...] = ()

    @property
    def person_ids(self) -> list[int]:
        return sorted(self.units_by_person)

    def __bool__(self) -> bool:
        return bool(self.units_by_person or self.escalated_incident_ids)


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Walk down from the positions the person holds. A child position that is filled is a
# position they decide for; a vacant or abolished one is passed through, because its
# subordinates' supervisor is then the next filled level up (organogram.hierarchy). The
# escalations to the person ride along in the same round trip, as rows without a person.
# Whether a position is filled is asked per position through its index, so the cost follows
# the positions below the person, not the size of the organogram.
_SCOPE_SQL = """
WITH RECURSIVE below(id, unit_id, filled, depth) AS (
    SELECT p.id, p.unit_id, {filled}, 1
    FROM {position} p
    JOIN {assignment} own ON own.position_id = p.parent_id AND own.person_id = %(person)s AND {open_own}
    JOIN {position} own_position ON own_position.id = own.position_id AND own_position.is_active = %(yes)s
    UNION ALL
    SELECT p.id, p.unit_id, {filled}, below.depth + 1
    FROM {position} p JOIN below ON p.parent_id = below.id
    WHERE below.filled = %(no)s AND below.depth < 100
)
SELECT a.person_id, a.kind, a.starts_at, b.unit_id, NULL
FROM {assignment} a
JOIN {position} held ON held.id = a.position_id AND held.is_active = %(yes)s
LEFT JOIN below b ON b.id = a.position_id AND b.filled = %(yes)s
WHERE {open_a} AND a.person_id IN (
    SELECT h.person_id FROM {assignment} h
    JOIN {user} hu ON hu.id = h.person_id AND hu.is_active = %(yes)s
    JOIN below f ON f.id = h.position_id AND f.filled = %(yes)s
    WHERE {open_h}
)
UNION ALL
SELECT NULL, NULL, NULL, NULL, e.incident_id FROM {escalation} e
WHERE e.organisation_id = %(tenant)s AND e.to_person_id = %(person)s
"""

# Filled: active, with an open assignment of an active person.
_FILLED_SQL = """(p.is_active = %(yes)s AND EXISTS (
    SELECT 1 FROM {assignment} v JOIN {user} vu ON vu.id = v.person_id AND vu.is_active = %(yes)s
    WHERE v.position_id = p.id AND {open_v}
))"""


def _open(alias: str) -> str:
    return f"{alias}.starts_at <= %(at)s AND ({alias}.ends_at IS NULL OR {alias}.ends_at > %(at)s)"


def decision_scope(user: User, at: datetime | None = None) -> DecisionScope:
    """The people whose supervisor (one level up, vacant levels skipped) is `user`, and the
    incidents escalated to `user`, in one query: the walk down the organogram, every open
    assignment of the people found — so a person counts only through their primary position,
    as `supervisor_of` decides — and the escalations."""
    if not user.is_authenticated or user.organisation_id is None:
        return DecisionScope({})
    at = at or timezone.now()
    tables = {
        "position": _table(Position),
        "assignment": _table(PositionAssignment),
        "user": _table(User),
        "escalation": _table(Escalation),
    }
    sql = _SCOPE_SQL.format(
        filled=_FILLED_SQL.format(open_v=_open("v"), **tables),
        open_own=_open("own"),
        open_a=_open("a"),
        open_h=_open("h"),
        **tables,
    )
    params = {"person": user.pk, "tenant": user.organisation_id, "at": at, "yes": True, "no": False}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # The primary position: substantive before acting, then the earliest (organogram.hierarchy.positions_of).
    primary: dict[int, tuple[tuple[bool, str, datetime], int | None]] = {}
    escalated = []
    for person_id, kind, starts_at, unit_id, incident_id in rows:
        if person_id is None:
            escalated.append(incident_id)
            continue
        rank = (kind != AssignmentKind.SUBSTANTIVE, kind, starts_at)
        if person_id not in primary or rank < primary[person_id][0]:
            primary[person_id] = (rank, unit_id)
    units = {
        person_id: unit_id
        for person_id, (_, unit_id) in primary.items()
        if unit_id is not None and person_id != user.pk
    }
    return DecisionScope(units, tuple(sorted(set(escalated))))


@dataclass(frozen=True)
class RoutingCheck:
    """The automated check behind re-routing: the responsible person the organogram names
    now, their position, who would decide, and what still stops the incident from reaching an
    active, correct person (empty when nothing does)."""

    responsible: User
    responsible_position: Position | None
    route: Route | None
    problems: list[str]


def routing_check(incident: Incident, at: datetime | None = None) -> RoutingCheck:
    """Recompute the routing as intake does: the responsible person is the reporter's
    supervisor when the reporter holds a position, otherwise the current responsible person;
    the decider is the level above them."""
    problems: list[str] = []
    responsible = incident.responsible
    reporter_position = primary_position(incident.reporter, at) if incident.reporter_id else None
    if reporter_position is not None:
        level = supervisor_of(incident.reporter, at, position=reporter_position)
        if level is None:
            problems.append(f"Nobody holds a position above {incident.reporter}, who reported it.")
        else:
            responsible = level.holder
            if level.flagged:
                vacant = ", ".join(str(p) for p in level.skipped_vacant)
                problems.append(f"{vacant} above {incident.reporter} is still vacant.")
    position = primary_position(responsible, at)
    if not responsible.is_active:
        problems.append(f"{responsible} is no longer active.")
    elif position is None:
        problems.append(f"{responsible} holds no position in the organogram.")
    route = decider_of(incident, at, responsible=responsible) if position is not None else None
    if position is not None and route is None:
        problems.append(f"Nobody holds a position above {position} to decide on closure.")
    elif route is not None and route.level.flagged:
        vacant = ", ".join(str(p) for p in route.level.skipped_vacant)
        problems.append(f"{vacant}, one level up from {position}, is still vacant.")
    return RoutingCheck(responsible, position, route, problems)
