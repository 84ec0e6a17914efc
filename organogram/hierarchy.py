"""Reading the organogram: who holds a position at a time, who is a person's supervisor,
department head and escalation chain. Each answer costs a fixed number of queries, whatever
the depth of the tree.

Walking *up* uses one recursive query that starts at the node and follows `parent_id`, so its
cost grows with the depth, not with the size of the organogram (django-tree-queries computes
trees top-down from every root, which suits subtrees and ordering, not a single chain in a
million-row table)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from iwms.models import User
from organogram.choices import AssignmentKind, UnitKind
from organogram.models import OrgUnit, Position, PositionAssignment


def _at(at: datetime | None) -> datetime:
    return at or timezone.now()


def open_at(at: datetime) -> Q:
    return Q(starts_at__lte=at) & (Q(ends_at__isnull=True) | Q(ends_at__gt=at))


def assignments_at(at: datetime | None = None) -> QuerySet[PositionAssignment]:
    return PositionAssignment.objects.filter(open_at(_at(at)))


def holders_by_position(positions: Iterable[Position | int], at: datetime | None = None) -> dict[int, User]:
    """The holder of each position at `at`: the substantive holder, else the acting one."""
    ids = [p if isinstance(p, int) else p.pk for p in positions]
    holders: dict[int, User] = {}
    rows = assignments_at(at).filter(position_id__in=ids).select_related("person")
    for assignment in sorted(rows, key=lambda a: a.kind != AssignmentKind.SUBSTANTIVE):
        if assignment.person.is_active:
            holders.setdefault(assignment.position_id, assignment.person)
    return holders


def holder_of(position: Position, at: datetime | None = None) -> User | None:
    return holders_by_position([position], at).get(position.pk)


def positions_of(person: User, at: datetime | None = None) -> list[Position]:
    """Positions the person holds at `at`; substantive ones first."""
    rows = (
        assignments_at(at)
        .filter(person=person, position__is_active=True)
        .select_related("position__unit", "position__parent", "position__shift")
        .order_by("kind", "starts_at")
    )
    seen: dict[int, Position] = {}
    for assignment in sorted(rows, key=lambda a: a.kind != AssignmentKind.SUBSTANTIVE):
        seen.setdefault(assignment.position_id, assignment.position)
    return list(seen.values())


def primary_position(person: User, at: datetime | None = None) -> Position | None:
    positions = positions_of(person, at)
    return positions[0] if positions else None


@dataclass(frozen=True)
class Level:
    """One filled level above a person: the position, its holder, and the vacant positions
    that were skipped to reach it (non-empty means the line is broken: a mismatch signal)."""

    position: Position
    holder: User
    skipped_vacant: tuple[Position, ...] = field(default=())

    @property
    def flagged(self) -> bool:
        return bool(self.skipped_vacant)


_UPWARD_SQL = """
WITH RECURSIVE chain(id, parent_id, depth) AS (
    SELECT id, parent_id, 0 FROM {table} WHERE id = %s
    UNION ALL
    SELECT t.id, t.parent_id, chain.depth + 1 FROM {table} t JOIN chain ON t.id = chain.parent_id
    WHERE chain.depth < 100
)
SELECT id FROM chain WHERE depth > 0 ORDER BY depth
"""


def ancestor_ids(model: type[Position] | type[OrgUnit], pk: int) -> list[int]:
    """Primary keys of a node's ancestors, nearest first, in one query (bounded at 100 levels
    so a corrupted tree cannot loop)."""
    with connection.cursor() as cursor:
        cursor.execute(_UPWARD_SQL.format(table=connection.ops.quote_name(model._meta.db_table)), [pk])
        return [row[0] for row in cursor.fetchall()]


Node = TypeVar("Node", Position, OrgUnit)


def ancestors(node: Node, *related: str) -> list[Node]:
    """A node's ancestors as rows, nearest first, in one query: the upward walk feeds an
    `IN`, and the order is rebuilt from the rows' own parent links."""
    if node.parent_id is None:
        return []
    model = type(node)
    upward = RawSQL(_UPWARD_SQL.format(table=connection.ops.quote_name(model._meta.db_table)), [node.pk])  # noqa: S611 — a table name from the model, the key a parameter
    by_id = {row.pk: row for row in model.objects.select_related(*related).filter(pk__in=upward)}
    chain: list[Node] = []
    pk = node.parent_id
    while pk in by_id and len(chain) < len(by_id):
        chain.append(by_id[pk])
        pk = by_id[pk].parent_id
    return chain


def _supervises(position: Position, holder: User | None, person_id: int) -> bool:
    """Whether a position above a person is a level of their chain: filled, not abolished, and
    not held by the person themself (acting up: nobody supervises themself)."""
    return holder is not None and position.is_active and holder.pk != person_id


def escalation_chain(person: User, at: datetime | None = None, *, position: Position | None = None) -> list[Level]:
    """The filled levels from the person's supervisor up to the top of the hierarchy.

    Vacant or abolished positions are skipped and recorded on the next filled level, and a
    holder who is the person themself (acting up) is skipped too: nobody supervises themself.
    """
    at = _at(at)
    position = position or primary_position(person, at)
    if position is None:
        return []
    above = ancestors(position, "unit")
    holders = holders_by_position(above, at)
    levels: list[Level] = []
    skipped: list[Position] = []
    for ancestor in above:
        holder = holders.get(ancestor.pk)
        if not _supervises(ancestor, holder, person.pk):
            skipped.append(ancestor)
            continue
        levels.append(Level(ancestor, holder, tuple(skipped)))
        skipped = []
    return levels


def supervisor_of(person: User, at: datetime | None = None, *, position: Position | None = None) -> Level | None:
    """The holder of the position one level up; if vacant, the next filled level (flagged)."""
    chain = escalation_chain(person, at, position=position)
    return chain[0] if chain else None


def supervisor_levels(people: Iterable[int], at: datetime | None = None) -> dict[int, Level | None]:
    """`supervisor_of` for many people (user ids) at once, each from their primary position:
    one query for their positions, then two per level walked up, whatever their number."""
    at = _at(at)
    people = set(people)
    rows = assignments_at(at).filter(person_id__in=people, position__is_active=True).select_related("position")
    climbing: dict[int, int | None] = {}
    for assignment in sorted(rows, key=lambda a: (a.kind != AssignmentKind.SUBSTANTIVE, a.kind, a.starts_at)):
        climbing.setdefault(assignment.person_id, assignment.position.parent_id)
    answers: dict[int, Level | None] = dict.fromkeys(people)
    skipped: dict[int, list[Position]] = {person: [] for person in climbing}
    for _depth in range(100):  # bounded, like the organogram's own upward walk
        climbing = {person: parent for person, parent in climbing.items() if parent is not None}
        if not climbing:
            break
        positions = Position.objects.select_related("unit").in_bulk(set(climbing.values()))
        holders = holders_by_position(positions, at)
        for person, parent in list(climbing.items()):
            position, holder = positions[parent], holders.get(parent)
            if _supervises(position, holder, person):
                answers[person] = Level(position, holder, tuple(skipped[person]))
                del climbing[person]
            else:  # skipped, and the walk goes on up
                skipped[person].append(position)
                climbing[person] = position.parent_id
    return answers


def top_of_hierarchy(tenant: object, at: datetime | None = None) -> Level | None:
    root = Position.objects.for_tenant(tenant).filter(parent__isnull=True, is_active=True).first()
    if root is None:
        return None
    holder = holder_of(root, at)
    return Level(root, holder) if holder else None


def department_of(unit: OrgUnit) -> OrgUnit | None:
    """The nearest unit of kind department at or above `unit`."""
    if unit.kind == UnitKind.DEPARTMENT:
        return unit
    return next((above for above in ancestors(unit) if above.kind == UnitKind.DEPARTMENT), None)


def department_head_of(person: User, at: datetime | None = None, *, position: Position | None = None) -> Level | None:
    """The head of the person's department. If the head position is vacant (or the person is
    the head), the next filled level above the head position answers, flagged."""
    at = _at(at)
    position = position or primary_position(person, at)
    if position is None:
        return None
    department = department_of(position.unit)
    if department is None:
        return None
    head_position = Position.objects.filter(unit=department, is_unit_head=True, is_active=True).first()
    if head_position is None:
        return None
    holder = holder_of(head_position, at)
    if holder is not None and holder.pk != person.pk:
        return Level(head_position, holder)
    # Walk up from the head position itself: only positions above the head count, and only
    # the vacant ones between the head and the answer are reported as skipped.
    above_head = escalation_chain(person, at, position=head_position)
    if not above_head:
        return None
    level = above_head[0]
    return Level(level.position, level.holder, (head_position, *level.skipped_vacant))


_PEOPLE_BELOW_SQL = """
WITH RECURSIVE below(id, depth) AS (
    SELECT p.id, 1 FROM {position} p
    JOIN {assignment} own ON own.position_id = p.parent_id AND own.person_id = %s
        AND own.starts_at <= %s AND (own.ends_at IS NULL OR own.ends_at > %s)
    JOIN {position} held ON held.id = own.position_id AND held.is_active = %s
    UNION ALL
    SELECT p.id, below.depth + 1 FROM {position} p JOIN below ON p.parent_id = below.id
    WHERE below.depth < 100
)
SELECT a.person_id FROM {assignment} a
JOIN below ON below.id = a.position_id
JOIN {position} pa ON pa.id = a.position_id AND pa.is_active = %s
WHERE a.starts_at <= %s AND (a.ends_at IS NULL OR a.ends_at > %s)
"""


def people_below(person: User, at: datetime | None = None) -> RawSQL:
    """The people holding a position anywhere below a position `person` holds (their
    supervisor, department head or someone higher up is `person`), as a subquery for
    `…__in=`: one recursive walk down from the person's positions, bounded at 100 levels.
    Vacant and abolished positions are walked through; a person counts through an active
    position only, as `escalation_chain` climbs from one."""
    at = _at(at)
    tables = {
        "position": connection.ops.quote_name(Position._meta.db_table),
        "assignment": connection.ops.quote_name(PositionAssignment._meta.db_table),
    }
    return RawSQL(_PEOPLE_BELOW_SQL.format(**tables), [person.pk, at, at, True, True, at, at])  # noqa: S611 — table names from the models, values parameters
