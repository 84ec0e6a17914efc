"""Reads of the closure queue: the pending-closure incidents a supervisor may decide, one page
at a time, through one prepared query per filter shape."""

from __future__ import annotations

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
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.core.routing import decision_scope
from incidents.core.selectors import SUBJECT
from incidents.models import (
    Incident,
)
from iwms.models import User
from iwms.prepared_queries import SENTINEL_ID, SENTINEL_TEXT, SENTINEL_TIME, PreparedQuery, sentinel_ids
from organogram.hierarchy import assignments_at
from workflows.choices import RunKind
from workflows.models import Review

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
