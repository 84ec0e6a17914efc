"""Changing the organogram's structure, and the audit event every organogram write leaves."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from iwms.audit import verify_chain
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from organogram.choices import UnitKind
from organogram.hierarchy import supervisor_of
from organogram.models import OrgUnit, Position, PositionAssignment, Shift
from organogram.services import (
    abolish_position,
    assign_person,
    create_position,
    create_shift,
    create_unit,
    end_assignment,
    move_position,
)
from tests.factories import PositionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events(obj):
    return list(
        AuditEvent.objects.filter(
            organisation_id=obj.organisation_id, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("seq")
    )


def _actions(obj):
    return [(event.action, event.changes) for event in _events(obj)]


def test_moving_a_position_under_its_own_subordinate_is_refused(org):
    with pytest.raises(PolicyError) as refused:
        move_position(position=org.head_position, reports_to=org.miner_a_position)

    assert refused.value.code == "organogram.cycle"
    assert Position.objects.get(pk=org.head_position.pk).parent_id == org.gm_position.pk


def test_moving_a_position_under_itself_is_refused(org):
    with pytest.raises(PolicyError) as refused:
        move_position(position=org.supervisor_a_position, reports_to=org.supervisor_a_position)

    assert refused.value.code == "organogram.cycle"


def test_a_refused_move_writes_no_update_event(org):
    with pytest.raises(PolicyError):
        move_position(position=org.gm_position, reports_to=org.miner_b_position)

    assert [action for action, _ in _actions(org.gm_position)] == ["create"]


def test_moving_a_position_changes_the_supervisor_and_is_audited(org):
    moved = move_position(position=org.miner_b_position, reports_to=org.supervisor_a_position, actor=org.head)

    assert Position.objects.get(pk=moved.pk).parent_id == org.supervisor_a_position.pk
    supervisor = supervisor_of(org.miner_b)
    assert (supervisor.holder, supervisor.flagged) == (org.supervisor_a, False)
    update = _events(org.miner_b_position)[-1]
    assert (update.action, update.actor, update.changes) == (
        "update",
        org.head,
        {"reports_to": [org.supervisor_b_position.pk, org.supervisor_a_position.pk]},
    )


def test_moving_a_position_under_an_abolished_position_is_refused(org):
    abolish_position(position=org.supervisor_b_position)

    with pytest.raises(PolicyError) as refused:
        move_position(position=org.miner_a_position, reports_to=org.supervisor_b_position)

    assert refused.value.code == "organogram.position_inactive"
    assert Position.objects.get(pk=org.miner_a_position.pk).parent_id == org.supervisor_a_position.pk


def test_moving_a_position_under_another_tenants_position_is_refused(org, other_tenant):
    foreign = PositionFactory(organisation=other_tenant)

    with pytest.raises(PolicyError) as refused:
        move_position(position=org.miner_a_position, reports_to=foreign)

    assert refused.value.code == "tenant.cross_reference"
    assert Position.objects.get(pk=org.miner_a_position.pk).parent_id == org.supervisor_a_position.pk


def test_building_the_organogram_audits_every_unit_shift_position_and_assignment(org):
    for obj in (org.mine, org.mining, org.shaft, org.shift_a, org.shift_b):
        assert [action for action, _ in _actions(obj)] == ["create"], obj
    for position in Position.objects.filter(organisation=org.tenant):
        assert _actions(position) == [
            (
                "create",
                {
                    "code": position.code,
                    "title": position.title,
                    "unit": position.unit_id,
                    "reports_to": position.parent_id,
                },
            )
        ]
    for assignment in PositionAssignment.objects.filter(organisation=org.tenant):
        assert _actions(assignment) == [
            (
                "assign",
                {"position": assignment.position_id, "person": assignment.person_id, "kind": "substantive"},
            )
        ]
    assert verify_chain(org.tenant).ok


def test_each_create_service_writes_one_create_event_naming_the_actor(org):
    actor = org.gm
    unit = create_unit(
        tenant=org.tenant, code="plant", name="Plant", kind=UnitKind.DEPARTMENT, parent=org.mine, actor=actor
    )
    shift = create_shift(
        tenant=org.tenant, unit=unit, code="plant-day", name="Day", starts_at=time(7), ends_at=time(15), actor=actor
    )
    position = create_position(
        tenant=org.tenant,
        code="plant-manager",
        title="Plant Manager",
        unit=unit,
        reports_to=org.gm_position,
        is_unit_head=True,
        shift=shift,
        actor=actor,
    )

    for obj, changes in [
        (unit, {"code": "plant", "name": "Plant", "kind": "department", "parent": org.mine.pk}),
        (shift, {"code": "plant-day", "unit": unit.pk}),
        (
            position,
            {"code": "plant-manager", "title": "Plant Manager", "unit": unit.pk, "reports_to": org.gm_position.pk},
        ),
    ]:
        events = _events(obj)
        assert [(e.action, e.actor, e.changes) for e in events] == [("create", actor, changes)]
    assert OrgUnit.objects.get(pk=unit.pk).parent == org.mine
    assert Shift.objects.get(pk=shift.pk).unit == unit


def test_assigning_and_ending_an_assignment_are_audited(org):
    newcomer = UserFactory(organisation=org.tenant)
    started = datetime(2025, 1, 1, tzinfo=UTC)
    ended = datetime(2025, 2, 1, tzinfo=UTC)

    assignment = assign_person(position=org.supervisor_b_position, person=newcomer, starts_at=started, actor=org.head)
    end_assignment(assignment=assignment, ends_at=ended, actor=org.head)

    assert [(e.action, e.actor, e.changes) for e in _events(assignment)] == [
        ("assign", org.head, {"position": org.supervisor_b_position.pk, "person": newcomer.pk, "kind": "substantive"}),
        ("update", org.head, {"ends_at": [None, ended.isoformat()]}),
    ]


def test_abolishing_a_position_audits_the_position_and_each_ended_assignment(org):
    abolish_position(position=org.miner_a_position, actor=org.head)

    assert _actions(org.miner_a_position)[-1] == ("update", {"is_active": [True, False]})
    assignment = PositionAssignment.objects.get(position=org.miner_a_position)
    assert [action for action, _ in _actions(assignment)] == ["assign", "update"]
    assert assignment.ends_at is not None
    assert verify_chain(org.tenant).ok
