"""Input that used to fail with a server error (issue 13) now gets a clear refusal: a NUL
character anywhere in a request, an over-long username, a page number of 10^22, a malformed
HX-Current-URL on an ended session."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from arc.choices import DelegationReason, DelegationScope
from arc.models import Delegation
from arc.services import delegate_responsibility
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.work.services import execution as work
from iwms.models import AuditEvent

PASSWORD = "pw-demo-12345"
HUGE = str(10**22)


@pytest.fixture
def started(make_incident, people):
    incident = make_incident()
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.parametrize("username", ["ab\x00cd", "a" * 256, "\x00"])
def test_a_nul_or_an_over_long_username_is_a_clear_refusal_not_a_server_error(client, mine, username):
    response = sign_in(client, username)
    assert response.status_code in {200, 422}
    body = response.content.decode()
    assert "NUL" in body or "at most 150 characters" in body
    assert "_auth_user_id" not in client.session


def test_the_right_password_still_signs_in(client, mine):
    assert sign_in(client, "responsible").status_code == 302


def test_a_nul_in_an_incident_reference_is_refused_with_a_message(client, started, people):
    client.force_login(people["responsible"])
    for path in (f"/incidents/{started.reference}%00/", f"/incidents/{started.reference}%00/work/", "/incidents/%00/"):
        response = client.get(path)
        assert response.status_code == 422, path
        assert "NUL character" in response.content.decode()


def test_a_nul_in_a_query_parameter_is_refused(client, people):
    client.force_login(people["responsible"])
    response = client.get("/inbox/?page=1%00")
    assert response.status_code == 422 and "query parameter" in response.content.decode()


def test_a_nul_in_a_hand_off_decline_note_is_refused_and_the_hand_off_still_waits(client, started, people, mine):
    delegation = delegate_responsibility(
        tenant=mine,
        subject_type=work.SUBJECT,
        subject_id=str(started.pk),
        scope=DelegationScope.RESPONSIBILITY,
        from_person=people["responsible"],
        to_person=people["supervisor"],
        reason_code=DelegationReason.SHIFT_CHANGE,
        handoff_note="Barricade is up; the geotech visit is booked for 14:00.",
        requires_acceptance=True,
    )
    client.force_login(people["supervisor"])
    response = client.post(
        reverse("delegation_decide", args=[delegation.pk]), {"decision": "decline", "note": "not\x00me"}
    )
    assert response.status_code == 422
    assert "field “note”" in response.content.decode()
    assert Delegation.objects.get(pk=delegation.pk).status == "proposed"
    refusal = AuditEvent.objects.filter(organisation=mine, changes__code="validation.invalid").last()
    assert refusal is not None and refusal.actor_id == people["supervisor"].pk


@pytest.mark.parametrize(
    ("url_name", "who"),
    [
        ("my_items", "responsible"),
        ("inbox", "responsible"),
        ("escalation_list", "supervisor"),
        ("closure_queue", "supervisor"),
        ("security_events", "admin"),
    ],
)
def test_a_page_number_of_ten_to_the_22_shows_a_page(client, people, url_name, who):
    client.force_login(people[who])
    response = client.get(reverse(url_name), {"page": HUGE, "actor": HUGE})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "current", ["http://[::1", "http://testserver:notaport/x", "//evil.example/x", "http://testserver/\xff\x7f?next=%%"]
)
def test_an_ended_session_with_a_malformed_current_url_goes_to_sign_in(client, mine, current):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "responsible")
        clock.move_to(start + timedelta(hours=1))
        response = client.get("/account/", headers={"HX-Request": "true", "HX-Current-URL": current})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/?next=/")
    assert "evil" not in response["HX-Redirect"]
