"""The incident lifecycle: exactly the moves of DESIGN.md, everything else refused and audited."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connections, transaction

from incidents.choices import IncidentStatus as S
from incidents.choices import Source
from incidents.core import lifecycle
from incidents.models import Incident
from iwms.audit import verify_chain
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from iwms.transitions import run_transition
from tests.conftest import is_postgres

pytestmark = pytest.mark.django_db

TRANSITIONS = {
    "acknowledge": (S.OPEN, S.IN_PROGRESS),
    "submit_for_review": (S.IN_PROGRESS, S.HALF_CLOSED),
    "require_corrections": (S.HALF_CLOSED, S.IN_PROGRESS),
    "accept_review": (S.HALF_CLOSED, S.PENDING_CLOSURE),
    "reject_closure": (S.PENDING_CLOSURE, S.IN_PROGRESS),
    "approve_closure": (S.PENDING_CLOSURE, S.CLOSED),
    "reopen": (S.CLOSED, S.IN_PROGRESS),
}
KWARGS = {"approve_closure": {"at": None}}

# The shortest path of allowed moves to reach each state.
PATH_TO = {
    S.OPEN: [],
    S.IN_PROGRESS: ["acknowledge"],
    S.HALF_CLOSED: ["acknowledge", "submit_for_review"],
    S.PENDING_CLOSURE: ["acknowledge", "submit_for_review", "accept_review"],
    S.CLOSED: ["acknowledge", "submit_for_review", "accept_review", "approve_closure"],
    S.MERGED: ["merge_into"],  # the merge service's move (incidents.controls); only un-merge leaves it
}


def drive(incident, actor, moves):
    for move in moves:
        incident = run_transition(incident, move, actor=actor, **KWARGS.get(move, {}))
    return incident


def test_new_incident_gets_a_reference_an_audit_event_and_starts_open(make_incident):
    first = make_incident()
    second = make_incident()
    assert first.status == S.OPEN
    assert first.reference.endswith("-000001") and second.reference.endswith("-000002")
    assert first.reference.startswith("INC-")
    event = AuditEvent.objects.get(object_type="incidents.incident", object_id=str(first.pk), action="create")
    assert event.changes["reference"] == first.reference


@pytest.mark.parametrize(("move", "states"), TRANSITIONS.items())
def test_each_allowed_move_changes_status_and_is_audited(make_incident, people, move, states):
    source, target = states
    incident = drive(make_incident(), people["responsible"], PATH_TO[source])
    moved = run_transition(incident, move, actor=people["responsible"], **KWARGS.get(move, {}))
    assert moved.status == target
    assert Incident.objects.get(pk=incident.pk).status == target
    event = AuditEvent.objects.filter(object_id=str(incident.pk), changes__status=[source, target]).get()
    assert event.actor == people["responsible"]


DISALLOWED = [(state, move) for state in S for move in TRANSITIONS if TRANSITIONS[move][0] != state]


@pytest.mark.parametrize(("state", "move"), DISALLOWED)
def test_every_other_move_is_refused_with_a_stable_code_and_audited(make_incident, people, state, move):
    incident = drive(make_incident(), people["responsible"], PATH_TO[state])
    denied_before = AuditEvent.objects.filter(action="transition_denied").count()
    with pytest.raises(PolicyError) as refused:
        run_transition(incident, move, actor=people["responsible"], **KWARGS.get(move, {}))
    assert refused.value.code == "transition.not_allowed"
    assert Incident.objects.get(pk=incident.pk).status == state
    denied = AuditEvent.objects.filter(action="transition_denied").order_by("seq")
    assert denied.count() == denied_before + 1
    assert denied.last().changes["transition"] == move
    assert denied.last().actor == people["responsible"]


def test_status_field_cannot_be_assigned_directly(make_incident):
    incident = make_incident()
    with pytest.raises(AttributeError):
        incident.status = S.CLOSED


def test_system_generated_incident_must_say_why(make_incident):
    with pytest.raises(PolicyError) as refused:
        make_incident(source=Source.SYSTEM)
    assert refused.value.code == "validation.invalid"
    child = make_incident(source=Source.SYSTEM, system_reason="overdue", parent=make_incident())
    assert child.parent_id is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", Source.RADAM),
        ("source_reference", "RADAM-99"),
        ("owner", "top"),
        ("owner_position", "gm"),
        ("initial_responsible", "reporter"),
    ],
)
def test_anchors_cannot_change_through_save(make_incident, people, field, value):
    from organogram.models import Position

    incident = Incident.objects.get(pk=make_incident().pk)
    if field in ("owner", "initial_responsible"):
        value = people[value]
    elif field == "owner_position":
        value = Position.objects.get(code=value)
    setattr(incident, field, value)
    with pytest.raises(PolicyError) as refused:
        incident.save()
    assert refused.value.code == "anchor.immutable"


@pytest.mark.parametrize(
    "column", ["source", "source_reference", "owner_id", "owner_position_id", "initial_responsible_id", "system_reason"]
)
def test_anchors_cannot_change_in_the_database_either(make_incident, people, column):
    incident = make_incident()
    value = people["top"].pk if column.endswith("_id") and column != "owner_position_id" else "radam"
    if column == "owner_position_id":
        from organogram.models import Position

        value = Position.objects.get(code="gm").pk
    with pytest.raises((IntegrityError, DatabaseError)) as refused, transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(**{column: value})
    assert "anchor.immutable" in str(refused.value)


def test_non_anchor_fields_still_change(make_incident):
    incident = Incident.objects.get(pk=make_incident().pk)
    incident.location = "Shaft 2, level 9"
    incident.save()
    assert Incident.objects.get(pk=incident.pk).location == "Shaft 2, level 9"


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_acknowledgements_give_exactly_one_success(make_incident, people):
    if not is_postgres():
        pytest.skip("row locks across connections: PostgreSQL only")
    incident = make_incident()
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def attempt() -> None:
        try:
            barrier.wait()
            lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
            outcomes.append("ok")
        except PolicyError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["transition.not_allowed"] * 19
    assert Incident.objects.get(pk=incident.pk).status == S.IN_PROGRESS
    assert verify_chain(incident.organisation).ok
