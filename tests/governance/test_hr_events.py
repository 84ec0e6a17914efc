"""HR events: validated, kept, applied to the organogram with hand-over and revocation, or
kept as a mismatch when they name what the organogram does not know."""

from __future__ import annotations

import pytest

from arc.choices import Role
from arc.models import ApiToken, RoleGrant
from arc.services import grant_role
from incidents.choices import Severity, SystemReason
from incidents.governance.choices import HrEventStatus
from incidents.governance.models import HrEvent
from incidents.governance.services.hr_events import receive_hr_event
from incidents.models import Incident
from iwms.errors import PolicyError
from iwms.models import Notification, User
from organogram.hierarchy import positions_of


def test_bad_payload_names_every_bad_field(mine):
    with pytest.raises(PolicyError) as refused:
        receive_hr_event(tenant=mine, payload={"kind": "fired", "effective_at": "yesterday"}, received_via="api")
    assert refused.value.code == "validation.invalid"
    assert set(refused.value.context["errors"]) == {"kind", "person", "effective_at"}
    assert not HrEvent.objects.exists()


def test_a_position_is_required_for_a_transfer(mine):
    with pytest.raises(PolicyError) as refused:
        receive_hr_event(tenant=mine, payload={"kind": "transfer", "person": "responsible"}, received_via="api")
    assert refused.value.context["field"] == "position"


def test_an_unknown_person_is_kept_and_raised_as_a_mismatch(mine, people):
    event = receive_hr_event(
        tenant=mine,
        payload={"kind": "hire", "person": "nobody.known", "position": "plant-asst-supervisor", "event_id": "HR-1"},
        received_via="api",
    )
    assert event.pk and event.status == HrEventStatus.MISMATCH and event.person is None
    mismatch = Incident.objects.get(reference=event.mismatch_reference)
    assert mismatch.system_reason == SystemReason.ORGANOGRAM_MISMATCH
    assert mismatch.responsible == people["mnaidoo"]  # heads the plant, where the position is
    assert "nobody.known" in mismatch.narrative


def test_a_transfer_hands_open_items_over_and_moves_the_person(mine, people, make_incident):
    routine = make_incident(severity=Severity.SEV3)
    urgent = make_incident(severity=Severity.SEV1)
    event = receive_hr_event(
        tenant=mine,
        payload={"kind": "transfer", "person": "responsible", "position": "plant-asst-supervisor", "event_id": "HR-2"},
        received_via="form",
        actor=people["admin"],
    )
    assert event.status == HrEventStatus.APPLIED
    routine.refresh_from_db()
    urgent.refresh_from_db()
    assert routine.responsible == people["supervisor"]  # the shift boss's supervisor takes over
    assert routine.owner == people["depthead"]  # the owner anchor never moves
    assert urgent.responsible == people["responsible"]  # SEV-1: waits for acceptance
    assert event.outcome["handover"]["awaiting_acceptance"] == [urgent.reference]
    assert [p.code for p in positions_of(people["responsible"])] == ["plant-asst-supervisor"]
    assert Notification.objects.filter(recipient=people["mnaidoo"], event="hr_event.confirm_line").exists()


def test_the_same_event_id_is_applied_once(mine, people):
    payload = {"kind": "promotion", "person": "dmolefe", "position": "plant-asst-supervisor", "event_id": "HR-3"}
    first = receive_hr_event(tenant=mine, payload=payload, received_via="api")
    again = receive_hr_event(tenant=mine, payload=payload, received_via="api")
    assert first.pk == again.pk and HrEvent.objects.count() == 1


def test_a_termination_revokes_sessions_tokens_and_grants(mine, people):
    person = people["lmabuza"]
    token = ApiToken(organisation=mine, user=person, name="Shift reports", prefix="gov-test", token_hash="0" * 64)
    token.save()  # a token row as an earlier integration setup left it
    grant_role(tenant=mine, user=person, role=Role.CATEGORY_CUSTODIAN, reason="Covers SHEQ", actor=people["admin"])
    generation = person.session_generation
    event = receive_hr_event(
        tenant=mine, payload={"kind": "termination", "person": "lmabuza"}, received_via="api", actor=None
    )
    assert event.status == HrEventStatus.APPLIED
    person = User.objects.get(pk=person.pk)
    assert not person.is_active and person.session_generation == generation + 1
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert not RoleGrant.objects.filter(user=person, revoked_at__isnull=True).exists()
    assert positions_of(person) == []
