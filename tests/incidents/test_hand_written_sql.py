"""Hand-written SQL is kept beside an ORM version, and these tests hold the two equal.

`core.routing.decision_scope` walks the organogram down in one statement (the closure queue's
scope); `organogram.hierarchy.supervisor_levels` walks it up with the ORM. Whoever the one
finds below a person, the other must name that person as their supervisor."""

from __future__ import annotations

from incidents.core.routing import decision_scope
from iwms.models import User
from organogram.hierarchy import supervisor_levels
from tests.incidents.test_closure import vacate


def supervised_by_the_orm(tenant_id: int) -> dict[int, set[int]]:
    people = list(User.objects.filter(organisation_id=tenant_id).values_list("pk", flat=True))
    below: dict[int, set[int]] = {pk: set() for pk in people}
    for person, level in supervisor_levels(people).items():
        if level is not None and level.holder is not None and level.holder.pk != person:
            below.setdefault(level.holder.pk, set()).add(person)
    return below


def assert_scopes_match_the_orm(tenant_id: int) -> int:
    expected = supervised_by_the_orm(tenant_id)
    for user in User.objects.filter(organisation_id=tenant_id):
        assert set(decision_scope(user).person_ids) == expected.get(user.pk, set()), user.username
    return sum(len(found) for found in expected.values())


def test_the_scope_sql_finds_whom_the_orm_walk_supervises(mine, people):
    assert assert_scopes_match_the_orm(mine.pk) > 3


def test_the_scope_sql_and_the_orm_skip_the_same_vacant_levels(mine, people):
    vacate("mine-overseer")
    vacate("shift-boss-a")
    assert assert_scopes_match_the_orm(mine.pk) > 3
