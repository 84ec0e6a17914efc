"""`POST /api/v1/hr-events/`: the HR system's changes reach the governance slice's one service
(`receive_hr_event`) with the token's scope `organogram:write`."""

from __future__ import annotations

import pytest

from arc.choices import Role, TokenScope
from arc.tokens import issue_token
from incidents.governance.models import HrEvent
from tests.factories import RoleGrantFactory

URL = "/api/v1/hr-events/"


@pytest.fixture
def hr_system(mine, client_for):
    account = RoleGrantFactory(organisation=mine, role=Role.INTEGRATION, user__username="hr-system").user
    _, raw = issue_token(user=account, name="hr", scopes=[TokenScope.ORGANOGRAM_WRITE])
    return client_for(raw)


def send(client, **payload):
    return client.post(URL, payload, format="json")


def test_a_transfer_is_applied_once_and_answered(hr_system, mine):
    body = {"kind": "transfer", "person": "kmokoena", "position": "plant-asst-supervisor", "event_id": "HR-1"}
    first = send(hr_system, **body)
    assert first.status_code == 202, first.json()
    assert first.json()["status"] == "applied" and first.json()["mismatch"] is None
    again = send(hr_system, **body)
    assert again.status_code == 202 and again.json()["event"] == first.json()["event"]
    kept = HrEvent.objects.get(organisation=mine, external_id="HR-1")
    assert kept.received_via == "api" and kept.person.username == "kmokoena"
    assert kept.position.code == "plant-asst-supervisor"


def test_an_unknown_person_is_kept_as_a_mismatch(hr_system, mine):
    answer = send(hr_system, kind="hire", person="nobody-here", position="plant-asst-supervisor")
    assert answer.status_code == 202 and answer.json()["status"] == "mismatch"
    assert answer.json()["mismatch"]
    assert HrEvent.objects.filter(organisation=mine, status="mismatch").count() == 1


def test_bad_input_names_the_field_and_keeps_nothing(hr_system, mine):
    answer = send(hr_system, kind="transfer", person="kmokoena")  # a transfer needs its position
    assert answer.status_code in {400, 422}
    assert answer.json()["error"]["code"] == "validation.invalid"
    assert not HrEvent.objects.filter(organisation=mine).exists()


def test_a_token_without_the_scope_is_refused(mine, client_for):
    account = RoleGrantFactory(organisation=mine, role=Role.INTEGRATION, user__username="bi").user
    _, raw = issue_token(user=account, name="bi", scopes=[TokenScope.INCIDENTS_READ])
    answer = send(client_for(raw), kind="termination", person="kmokoena")
    assert answer.status_code == 403 and answer.json()["error"]["context"]["scope"] == "organogram:write"
