"""People in positions over time: replacement keeps history, one holder per kind, acting cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iwms.errors import PolicyError
from organogram.choices import AssignmentKind
from organogram.hierarchy import holder_of, positions_of, supervisor_of
from organogram.models import PositionAssignment
from organogram.services import abolish_position, assign_person, end_assignment
from tests.factories import UserFactory
from tests.factories.organogram import ORG_SINCE

pytestmark = pytest.mark.django_db

REPLACED_AT = datetime(2025, 6, 1, 7, 0, tzinfo=UTC)


def _open_assignment(position):
    return PositionAssignment.objects.get(position=position, ends_at__isnull=True)


def _replace_supervisor_a(org):
    end_assignment(assignment=_open_assignment(org.supervisor_a_position), ends_at=REPLACED_AT)
    successor = UserFactory(organisation=org.tenant, username="successor")
    assign_person(position=org.supervisor_a_position, person=successor, starts_at=REPLACED_AT)
    return successor


def test_holder_of_answers_the_old_holder_for_a_date_before_the_replacement(org):
    successor = _replace_supervisor_a(org)

    assert holder_of(org.supervisor_a_position, at=REPLACED_AT - timedelta(days=30)) == org.supervisor_a
    assert holder_of(org.supervisor_a_position, at=REPLACED_AT) == successor
    assert holder_of(org.supervisor_a_position) == successor
    assert holder_of(org.supervisor_a_position, at=ORG_SINCE - timedelta(days=1)) is None


def test_replacement_keeps_the_old_assignment_row_with_its_end_date(org):
    successor = _replace_supervisor_a(org)

    rows = PositionAssignment.objects.filter(position=org.supervisor_a_position).order_by("starts_at")
    assert [(row.person, row.starts_at, row.ends_at) for row in rows] == [
        (org.supervisor_a, ORG_SINCE, REPLACED_AT),
        (successor, REPLACED_AT, None),
    ]


def test_supervisor_at_a_past_date_is_who_held_the_position_then(org):
    successor = _replace_supervisor_a(org)

    assert supervisor_of(org.miner_a, at=REPLACED_AT - timedelta(days=1)).holder == org.supervisor_a
    assert supervisor_of(org.miner_a).holder == successor
    assert positions_of(org.supervisor_a) == []
    assert positions_of(org.supervisor_a, at=REPLACED_AT - timedelta(days=1)) == [org.supervisor_a_position]


def test_assigning_a_person_into_a_filled_position_is_refused(org):
    newcomer = UserFactory(organisation=org.tenant)

    with pytest.raises(PolicyError) as refused:
        assign_person(position=org.supervisor_a_position, person=newcomer)

    assert refused.value.code == "organogram.position_filled"
    assert holder_of(org.supervisor_a_position) == org.supervisor_a
    assert not PositionAssignment.objects.filter(person=newcomer).exists()


def test_assignment_starting_before_the_previous_holder_left_is_refused(org):
    end_assignment(assignment=_open_assignment(org.supervisor_a_position), ends_at=REPLACED_AT)
    newcomer = UserFactory(organisation=org.tenant)

    with pytest.raises(PolicyError) as refused:
        assign_person(position=org.supervisor_a_position, person=newcomer, starts_at=REPLACED_AT - timedelta(days=1))

    assert refused.value.code == "organogram.position_filled"
    assert holder_of(org.supervisor_a_position, at=REPLACED_AT - timedelta(hours=1)) == org.supervisor_a
    assert not PositionAssignment.objects.filter(person=newcomer).exists()


def test_assigning_a_person_into_an_abolished_position_is_refused(org):
    abolished = abolish_position(position=org.supervisor_b_position)
    assert abolished.is_active is False
    newcomer = UserFactory(organisation=org.tenant)

    with pytest.raises(PolicyError) as refused:
        assign_person(position=abolished, person=newcomer)

    assert refused.value.code == "organogram.position_inactive"
    assert not PositionAssignment.objects.filter(person=newcomer).exists()


def test_assigning_into_a_position_abolished_since_it_was_read_is_refused(org):
    stale_copy = org.supervisor_b_position
    abolish_position(position=org.supervisor_b_position)
    assert stale_copy.is_active  # the caller's copy still looks active

    with pytest.raises(PolicyError) as refused:
        assign_person(position=stale_copy, person=UserFactory(organisation=org.tenant))

    assert refused.value.code == "organogram.position_inactive"


def test_assigning_a_person_of_another_tenant_is_refused(org, other_tenant):
    outsider = UserFactory(organisation=other_tenant)

    with pytest.raises(PolicyError) as refused:
        assign_person(position=org.supervisor_b_position, person=outsider)

    assert refused.value.code == "tenant.cross_reference"
    assert holder_of(org.supervisor_b_position) is None


def test_ending_an_assignment_twice_is_refused(org):
    assignment = _open_assignment(org.miner_a_position)
    end_assignment(assignment=assignment, ends_at=REPLACED_AT)

    with pytest.raises(PolicyError) as refused:
        end_assignment(assignment=assignment)

    assert refused.value.code == "organogram.assignment_closed"
    assert PositionAssignment.objects.get(pk=assignment.pk).ends_at == REPLACED_AT


def test_an_assignment_cannot_end_before_it_started(org):
    assignment = _open_assignment(org.miner_a_position)

    with pytest.raises(PolicyError) as refused:
        end_assignment(assignment=assignment, ends_at=ORG_SINCE - timedelta(days=1))

    assert refused.value.code == "validation.invalid"
    assert PositionAssignment.objects.get(pk=assignment.pk).ends_at is None


def test_acting_holder_answers_when_the_position_has_no_substantive_holder(org):
    acting = UserFactory(organisation=org.tenant, username="acting-supervisor-b")
    assign_person(position=org.supervisor_b_position, person=acting, kind=AssignmentKind.ACTING, starts_at=REPLACED_AT)

    assert holder_of(org.supervisor_b_position) == acting
    assert holder_of(org.supervisor_b_position, at=REPLACED_AT - timedelta(days=1)) is None
    supervisor = supervisor_of(org.miner_b)
    assert (supervisor.position, supervisor.holder, supervisor.flagged) == (org.supervisor_b_position, acting, False)


def test_substantive_holder_answers_before_an_acting_one(org):
    acting = UserFactory(organisation=org.tenant)
    assign_person(position=org.supervisor_a_position, person=acting, kind=AssignmentKind.ACTING)

    assert holder_of(org.supervisor_a_position) == org.supervisor_a
    end_assignment(assignment=_open_assignment_of_kind(org.supervisor_a_position, AssignmentKind.SUBSTANTIVE))
    assert holder_of(org.supervisor_a_position) == acting


def test_a_second_acting_holder_is_refused_while_one_acts(org):
    assign_person(position=org.supervisor_b_position, person=UserFactory(organisation=org.tenant), kind="acting")

    with pytest.raises(PolicyError) as refused:
        assign_person(
            position=org.supervisor_b_position, person=UserFactory(organisation=org.tenant), kind=AssignmentKind.ACTING
        )

    assert refused.value.code == "organogram.position_filled"


def test_a_person_acting_up_holds_both_positions_substantive_first(org):
    end_assignment(assignment=_open_assignment(org.head_position), ends_at=REPLACED_AT)
    assign_person(
        position=org.head_position, person=org.supervisor_a, kind=AssignmentKind.ACTING, starts_at=REPLACED_AT
    )

    assert positions_of(org.supervisor_a) == [org.supervisor_a_position, org.head_position]
    assert holder_of(org.head_position) == org.supervisor_a


def test_abolishing_a_position_ends_its_assignments_and_keeps_them(org):
    abolish_position(position=org.miner_a_position, at=REPLACED_AT)

    row = PositionAssignment.objects.get(position=org.miner_a_position)
    assert (row.person, row.ends_at) == (org.miner_a, REPLACED_AT)
    assert holder_of(org.miner_a_position, at=REPLACED_AT - timedelta(days=1)) == org.miner_a
    assert holder_of(org.miner_a_position) is None


def _open_assignment_of_kind(position, kind):
    return PositionAssignment.objects.get(position=position, kind=kind, ends_at__isnull=True)
