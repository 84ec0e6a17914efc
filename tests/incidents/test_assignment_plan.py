"""Who owns and who executes a new incident, and the memo that keeps a worked-out plan while
the tenant's organogram generation stays the same: every kind of change is seen at once, an
assignment that starts later is seen when it starts, and a change rolled back leaves no trace."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from arc.services import create_accountability_rule
from incidents.intake.services import assignment
from iwms.models import User
from organogram import generation
from organogram.hierarchy import primary_position
from organogram.models import Position, PositionAssignment
from organogram.services import abolish_position, assign_person, end_assignment

pytestmark = pytest.mark.django_db


def _who(plan):
    return plan.owner.username, plan.owner_position.code, plan.responsible.username, plan.flagged


def _plan(people, fall_of_ground):
    return assignment.plan_assignment(reporter=people["reporter"], category=fall_of_ground, kind="incident")


def _fresh(people, fall_of_ground):
    return assignment._plan(reporter=people["reporter"], category=fall_of_ground, kind="incident")


def _supervisor_position(people):
    return primary_position(people["reporter"]).parent


def test_a_kept_plan_costs_one_read_and_is_a_copy(people, fall_of_ground, django_assert_num_queries):
    first = _plan(people, fall_of_ground)
    with django_assert_num_queries(1):
        again = _plan(people, fall_of_ground)
    assert _who(again) == _who(first) == ("depthead", "mining-manager", "responsible", False)
    again.owner.first_name = "changed by one request"
    assert _plan(people, fall_of_ground).owner.first_name != "changed by one request"


def test_the_responsible_person_leaving_is_seen_at_once(people, fall_of_ground):
    _plan(people, fall_of_ground)
    supervisor = _supervisor_position(people)
    end_assignment(assignment=PositionAssignment.objects.get(position=supervisor, ends_at__isnull=True))
    replacement = User.objects.create(organisation=people["reporter"].organisation, username="new-supervisor")
    assign_person(position=supervisor, person=replacement)

    assert _plan(people, fall_of_ground).responsible == replacement
    assert _who(_plan(people, fall_of_ground)) == _who(_fresh(people, fall_of_ground))


def test_an_abolished_position_or_a_deactivated_person_is_seen_at_once(people, fall_of_ground):
    _plan(people, fall_of_ground)
    abolish_position(position=_supervisor_position(people))
    after_abolition = _plan(people, fall_of_ground)
    assert after_abolition.flagged and after_abolition.responsible != people["responsible"]

    depthead = people["depthead"]
    depthead.is_active = False
    depthead.save(update_fields=["is_active"])
    assert _plan(people, fall_of_ground).owner != depthead
    assert _who(_plan(people, fall_of_ground)) == _who(_fresh(people, fall_of_ground))


def test_a_more_specific_accountability_rule_is_seen_at_once(people, fall_of_ground):
    _plan(people, fall_of_ground)
    reporter_position = primary_position(people["reporter"])
    create_accountability_rule(
        tenant=reporter_position.organisation,
        unit=reporter_position.unit,
        accountable_position=_supervisor_position(people),
        category_code=fall_of_ground.code,
    )
    assert _plan(people, fall_of_ground).owner_position == _supervisor_position(people)


def test_a_sign_in_does_not_discard_kept_plans(people, fall_of_ground):
    _plan(people, fall_of_ground)
    before = generation.current(people["reporter"].organisation_id)
    people["responsible"].last_login = timezone.now()
    people["responsible"].save(update_fields=["last_login"])
    assert generation.current(people["reporter"].organisation_id) == before


def test_an_assignment_that_starts_later_is_seen_when_it_starts(people, fall_of_ground):
    supervisor = _supervisor_position(people)
    handover = timezone.now() + timedelta(days=2)
    end_assignment(
        assignment=PositionAssignment.objects.get(position=supervisor, ends_at__isnull=True), ends_at=handover
    )
    successor = User.objects.create(organisation=people["reporter"].organisation, username="successor")
    assign_person(position=supervisor, person=successor, starts_at=handover)

    assert _plan(people, fall_of_ground).responsible == people["responsible"]
    with time_machine.travel(handover + timedelta(minutes=1)):
        assert _plan(people, fall_of_ground).responsible == successor


def test_a_change_rolled_back_leaves_no_kept_plan_behind(people, fall_of_ground):
    before = _who(_plan(people, fall_of_ground))
    with pytest.raises(RuntimeError), transaction.atomic():
        abolish_position(position=_supervisor_position(people))
        assert _plan(people, fall_of_ground).flagged
        raise RuntimeError("roll back")

    assert Position.objects.get(pk=_supervisor_position(people).pk).is_active
    assert _who(_plan(people, fall_of_ground)) == before
