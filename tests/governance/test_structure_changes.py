"""Changing the organogram from its pages: effective-dated, kept in the unit's history, and
refused when it would make a reporting cycle or leave open incidents routed to nobody."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.governance.choices import StructureChangeKind
from incidents.governance.models import StructureChange
from incidents.governance.services import structure
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from organogram.choices import AssignmentKind
from organogram.hierarchy import holder_of
from organogram.models import Position, PositionAssignment

REASON = "The monthly verification found the line wrong."


def pos(code: str) -> Position:
    return Position.objects.select_related("unit").get(code=code)


def test_department_head_changes_a_reporting_line_kept_in_history(people):
    moved = structure.change_reporting_line(
        position=pos("geotech"), reports_to=pos("mine-overseer"), actor=people["depthead"], reason=REASON
    )
    assert moved.parent.code == "mine-overseer"
    change = StructureChange.objects.get(position=moved)
    assert change.kind == StructureChangeKind.MOVE_POSITION and change.reason == REASON
    assert change.actor == people["depthead"] and change.unit.code == "mining"
    assert AuditEvent.objects.filter(object_type="governance.structurechange", object_id=str(change.pk)).exists()


def test_a_reporting_cycle_is_refused_naming_the_chain(people):
    with pytest.raises(PolicyError) as refused:
        structure.change_reporting_line(
            position=pos("mine-overseer"), reports_to=pos("shift-boss-a"), actor=people["depthead"], reason=REASON
        )
    assert refused.value.code == "organogram.cycle"
    assert "Shift Boss, Shift A → Mine Overseer" in refused.value.message
    assert pos("mine-overseer").parent.code == "mining-manager"
    assert not StructureChange.objects.exists()
    assert AuditEvent.objects.filter(action="input_refused", message__contains="reporting cycle").exists()


def test_ending_an_appointment_that_leaves_an_open_incident_unrouted_is_refused(people, make_incident):
    incident = make_incident()  # responsible: the Shift A shift boss
    assignment = PositionAssignment.objects.get(position__code="shift-boss-a", ends_at__isnull=True)
    with pytest.raises(PolicyError) as refused:
        structure.end_appointment(assignment=assignment, actor=people["depthead"], reason=REASON)
    assert refused.value.code == "organogram.leaves_unrouted"
    assert incident.reference in refused.value.message
    assert "would hold no position" in refused.value.message
    assignment.refresh_from_db()
    assert assignment.ends_at is None


def test_a_vacancy_above_is_not_refused_when_someone_higher_still_decides(people, make_incident):
    make_incident(responsible=people["supervisor"])  # decided on by the mining manager
    head = PositionAssignment.objects.get(position__code="mining-manager", ends_at__isnull=True)
    ended = structure.end_appointment(assignment=head, actor=people["top"], reason=REASON)
    assert ended.ends_at is not None
    assert holder_of(pos("mining-manager")) is None


def test_a_future_end_is_checked_at_its_date(people, make_incident):
    make_incident()
    assignment = PositionAssignment.objects.get(position__code="shift-boss-a", ends_at__isnull=True)
    with pytest.raises(PolicyError) as refused:
        structure.end_appointment(
            assignment=assignment,
            actor=people["depthead"],
            reason=REASON,
            ends_at=timezone.now() + timedelta(days=10),
        )
    assert refused.value.code == "organogram.leaves_unrouted"


def test_retiring_a_position_with_positions_below_is_refused(people):
    with pytest.raises(PolicyError) as refused:
        structure.retire_position(position=pos("shift-boss-b"), actor=people["depthead"], reason=REASON)
    assert refused.value.code == "organogram.leaves_unrouted"
    assert "Miner, Shift B" in refused.value.message
    assert pos("shift-boss-b").is_active


def test_a_unit_head_changes_only_their_own_unit_and_below(people):
    # The mine overseer heads Underground Operations, not the plant.
    with pytest.raises(PolicyError) as refused:
        structure.retire_position(position=pos("plant-asst-supervisor"), actor=people["supervisor"], reason=REASON)
    assert refused.value.code == "access_denied"
    assert pos("plant-asst-supervisor").is_active
    retired = structure.retire_position(position=pos("plant-asst-supervisor"), actor=people["admin"], reason=REASON)
    assert not retired.is_active


def test_an_acting_appointment_ends_on_its_date(people):
    starts = timezone.now()
    acting = structure.appoint(
        position=pos("plant-asst-supervisor"),
        person=people["dmolefe"],
        kind=AssignmentKind.ACTING,
        starts_at=starts,
        ends_at=starts + timedelta(days=30),
        actor=people["mnaidoo"],
        reason="Covers the vacancy until the post is filled.",
    )
    assert acting.kind == AssignmentKind.ACTING and acting.ends_at == starts + timedelta(days=30)
    change = StructureChange.objects.get(position__code="plant-asst-supervisor")
    assert change.kind == StructureChangeKind.ACTING and "acts as" in change.summary


def test_a_reason_is_required(people):
    with pytest.raises(PolicyError) as refused:
        structure.add_position(
            unit=pos("geotech").unit,
            code="rock-eng",
            title="Rock Engineer",
            reports_to=pos("geotech"),
            actor=people["depthead"],
            reason="",
        )
    assert refused.value.context["field"] == "reason"
    assert not Position.objects.filter(code="rock-eng").exists()
