"""Every request gets an id (or keeps a well-formed X-Request-ID) that is echoed back and
stamped on the audit events it writes, attributed to the signed-in user."""

from __future__ import annotations

import json

import pytest

from iwms.models import AuditEvent
from iwms.request_context import acting, current_actor, current_request_id

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.iwms.urls")
def test_events_written_during_a_request_carry_its_id_and_the_signed_in_user(client, tenant, giver):
    client.force_login(giver)
    response = client.get("/kernel-tests/record/", HTTP_X_REQUEST_ID="lb-7f3a.2")
    assert response["X-Request-ID"] == "lb-7f3a.2"
    event = AuditEvent.objects.get(pk=json.loads(response.content)["event"])
    assert (event.request_id, event.actor, event.actor_kind) == ("lb-7f3a.2", giver, "user")


@pytest.mark.urls("tests.iwms.urls")
@pytest.mark.parametrize("incoming", ["", "has spaces", "x" * 65, "semi;colon", "new\nline"])
def test_a_missing_or_malformed_request_id_is_replaced(client, giver, incoming):
    client.force_login(giver)
    response = client.get("/kernel-tests/record/", HTTP_X_REQUEST_ID=incoming)
    issued = response["X-Request-ID"]
    assert issued != incoming and len(issued) == 32 and issued.isalnum()
    assert AuditEvent.objects.get().request_id == issued


def test_each_request_gets_its_own_id(client):
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_context_is_empty_outside_a_request():
    assert current_request_id() == ""
    assert current_actor() is None


def test_acting_attributes_the_block_and_restores_afterwards(giver, taker):
    with acting(giver, request_id="task-1"):
        assert (current_actor(), current_request_id()) == (giver, "task-1")
        with acting(taker):
            assert (current_actor(), current_request_id()) == (taker, "task-1")  # the id is inherited
        assert current_actor() == giver
    assert (current_actor(), current_request_id()) == (None, "")


def test_acting_without_an_id_issues_one():
    with acting(None):
        issued = current_request_id()
    assert len(issued) == 32
    assert current_request_id() == ""


def test_the_context_is_restored_when_the_block_raises(giver):
    with pytest.raises(RuntimeError), acting(giver, request_id="task-2"):
        raise RuntimeError
    assert current_actor() is None and current_request_id() == ""
