"""Reading the organogram: supervisor, department head, escalation chain, top of hierarchy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from organogram.choices import AssignmentKind
from organogram.hierarchy import (
    ancestors,
    department_head_of,
    escalation_chain,
    holders_by_position,
    supervisor_levels,
    supervisor_of,
    top_of_hierarchy,
)
from organogram.models import PositionAssignment
from organogram.services import abolish_position, assign_person, end_assignment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LEFT_AT = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)


def _vacate(position):
    end_assignment(assignment=PositionAssignment.objects.get(position=position, ends_at__isnull=True), ends_at=LEFT_AT)


def _summary(level):
    return (level.position, level.holder, level.skipped_vacant)


def test_supervisor_of_staff_is_the_holder_of_the_position_one_level_up(org):
    supervisor = supervisor_of(org.miner_a)

    assert _summary(supervisor) == (org.supervisor_a_position, org.supervisor_a, ())
    assert supervisor.flagged is False


def test_supervisor_of_a_supervisor_is_the_department_head(org):
    assert _summary(supervisor_of(org.supervisor_a)) == (org.head_position, org.head, ())


def test_supervisor_under_a_vacant_position_is_the_next_filled_level_flagged(org):
    supervisor = supervisor_of(org.miner_b)

    assert supervisor.flagged is True
    assert _summary(supervisor) == (org.head_position, org.head, (org.supervisor_b_position,))


def test_supervisor_above_an_abolished_position_is_the_next_filled_level_flagged(org):
    abolish_position(position=org.supervisor_a_position)

    supervisor = supervisor_of(org.miner_a)

    assert supervisor.flagged is True
    assert _summary(supervisor) == (org.head_position, org.head, (org.supervisor_a_position,))


def test_two_vacant_levels_are_both_named_on_the_next_filled_level(org):
    _vacate(org.head_position)

    assert _summary(supervisor_of(org.miner_b)) == (
        org.gm_position,
        org.gm,
        (org.supervisor_b_position, org.head_position),
    )


def test_top_of_hierarchy_has_no_supervisor_and_an_empty_escalation_chain(org):
    assert supervisor_of(org.gm) is None
    assert escalation_chain(org.gm) == []


def test_a_person_holding_no_position_has_no_supervisor_department_head_or_chain(org):
    visitor = UserFactory(organisation=org.tenant)

    assert supervisor_of(visitor) is None
    assert department_head_of(visitor) is None
    assert escalation_chain(visitor) == []


def test_top_of_hierarchy_is_the_general_manager(org):
    top = top_of_hierarchy(org.tenant)

    assert _summary(top) == (org.gm_position, org.gm, ())


def test_top_of_hierarchy_of_another_tenant_is_not_this_general_manager(org, other_tenant):
    assert top_of_hierarchy(other_tenant) is None


def test_department_head_of_staff_is_the_head_of_their_department(org):
    for person in (org.miner_a, org.miner_b, org.supervisor_a):
        head = department_head_of(person)
        assert _summary(head) == (org.head_position, org.head, ()), person
        assert head.flagged is False


def test_department_head_when_the_head_is_vacant_is_the_next_level_up_flagged(org):
    _vacate(org.head_position)

    head = department_head_of(org.miner_a)

    assert head.flagged is True
    assert _summary(head) == (org.gm_position, org.gm, (org.head_position,))


def test_department_head_when_the_head_is_vacant_names_only_positions_above_the_head(org):
    """The Shift B supervisor is vacant too, but it is below the head: not part of this answer."""
    _vacate(org.head_position)

    assert _summary(department_head_of(org.miner_b)) == (org.gm_position, org.gm, (org.head_position,))


def test_department_head_answers_at_a_past_date(org):
    _vacate(org.head_position)

    assert _summary(department_head_of(org.miner_a, at=datetime(2025, 1, 1, tzinfo=UTC))) == (
        org.head_position,
        org.head,
        (),
    )


def test_department_head_of_someone_outside_any_department_is_none(org):
    assert department_head_of(org.gm) is None


def test_escalation_chain_runs_from_the_supervisor_to_the_top(org):
    chain = escalation_chain(org.miner_a)

    assert [_summary(level) for level in chain] == [
        (org.supervisor_a_position, org.supervisor_a, ()),
        (org.head_position, org.head, ()),
        (org.gm_position, org.gm, ()),
    ]


def test_escalation_chain_records_the_vacant_level_it_skipped(org):
    chain = escalation_chain(org.miner_b)

    assert [_summary(level) for level in chain] == [
        (org.head_position, org.head, (org.supervisor_b_position,)),
        (org.gm_position, org.gm, ()),
    ]


def test_nobody_supervises_themself_when_acting_up(org):
    _vacate(org.head_position)
    assign_person(position=org.head_position, person=org.supervisor_a, kind=AssignmentKind.ACTING, starts_at=LEFT_AT)

    assert _summary(supervisor_of(org.supervisor_a)) == (org.gm_position, org.gm, (org.head_position,))


def test_an_inactive_person_does_not_hold_their_position(org):
    org.supervisor_a.is_active = False
    org.supervisor_a.save()

    assert holders_by_position([org.supervisor_a_position]) == {}
    assert _summary(supervisor_of(org.miner_a)) == (org.head_position, org.head, (org.supervisor_a_position,))


def test_ancestors_are_the_rows_above_nearest_first_in_one_query(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        above = ancestors(org.miner_a_position)

    assert above == [org.supervisor_a_position, org.head_position, org.gm_position]
    assert ancestors(org.gm_position) == []


def test_ancestors_of_a_unit_stop_at_its_root(org):
    mine = org.gm_position.unit
    assert ancestors(org.miner_a_position.unit)[-1] == mine
    assert ancestors(mine) == []


@pytest.mark.parametrize("change", ["none", "vacant_head", "abolished_supervisor", "head_acting_up"])
def test_supervisor_levels_answer_as_supervisor_of_does_for_everyone_at_once(
    org, change, django_assert_max_num_queries
):
    if change == "vacant_head":
        _vacate(org.head_position)
    elif change == "abolished_supervisor":
        abolish_position(position=org.supervisor_a_position)
    elif change == "head_acting_up":
        _vacate(org.head_position)
        assign_person(
            position=org.head_position, person=org.supervisor_a, kind=AssignmentKind.ACTING, starts_at=LEFT_AT
        )
    outsider = UserFactory(organisation=org.tenant)  # holds no position: no supervisor
    people = [org.miner_a, org.miner_b, org.supervisor_a, org.head, org.gm, outsider]
    with django_assert_max_num_queries(1 + 2 * 4):  # their positions, then two per level walked up
        levels = supervisor_levels([person.pk for person in people])
    expected = {person.pk: supervisor_of(person) for person in people}
    summarise = {pk: level and _summary(level) for pk, level in levels.items()}
    assert summarise == {pk: level and _summary(level) for pk, level in expected.items()}
    assert levels[outsider.pk] is None and levels[org.gm.pk] is None
