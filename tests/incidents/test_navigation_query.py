"""The header's navigation row, compiled once and re-run with each person and time, says what
the same query built afresh by the ORM says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.core.navigation import FACTS, _facts_query
from iwms.prepared_queries import SENTINEL_ID, PreparedQuery

pytestmark = pytest.mark.django_db


def test_the_compiled_row_answers_as_the_orm_does_for_every_person_and_time(people, make_incident):
    make_incident(title="Conveyor guard missing")  # notifications and a queue for someone to supervise
    now = timezone.now()
    seen = set()
    for person in people.values():
        for at in (now, now - timedelta(days=3650)):
            expected = _facts_query(person=person.pk, now=at).get()
            row = FACTS.row(person=person.pk, now=at)
            assert {name: type(value)(row[name]) for name, value in expected.items()} == expected, person.username
            seen.add(tuple(expected.values()))
    assert len(seen) > 2, "the cast should not all look alike"


def test_a_query_that_ignores_a_sentinel_is_refused(people):
    ignores_the_time = PreparedQuery(
        lambda *, person, now: _facts_query(person=person, now=timezone.now()),
        person=SENTINEL_ID,
        now=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(ValueError, match="now"):
        ignores_the_time.row(person=people["supervisor"].pk, now=timezone.now())
