"""Sessions: the key rotates at sign-in, an idle session ends after 30 minutes and any session
after 12 hours, and 'sign out everywhere' ends every session of the account (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone

from iwms.choices import AuditAction
from iwms.models import AuditEvent
from tests.security.conftest import sign_in

pytestmark = pytest.mark.django_db


def session_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_session_key_is_rotated_at_sign_in(client, person):
    anonymous = SessionStore()
    anonymous["seen_before_sign_in"] = True
    anonymous.create()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = anonymous.session_key

    response = sign_in(client, "thabo")

    assert response.status_code == 302
    new_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert new_key != anonymous.session_key
    assert not SessionStore().exists(anonymous.session_key)
    assert SessionStore(session_key=new_key)["_auth_user_id"] == str(person.pk)


def test_idle_session_ends_after_the_idle_limit_with_a_message(client, person):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "thabo")
        clock.move_to(start + timedelta(minutes=29))
        assert client.get("/account/").status_code == 200

        clock.move_to(start + timedelta(minutes=29 + 31))
        response = client.get("/account/")

        assert response.status_code == 302
        assert response.url == "/accounts/login/?next=/account/"
        assert session_user_id(client) is None
        login_page = client.get(response.url).content.decode()
        assert "signed out after 30 minutes without activity" in login_page


def test_activity_keeps_a_session_alive_until_the_absolute_limit(client, person):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "thabo")
        for minutes in range(20, 12 * 60, 20):
            clock.move_to(start + timedelta(minutes=minutes))
            assert client.get("/account/").status_code == 200, f"signed out after {minutes} minutes"

        clock.move_to(start + timedelta(hours=12, minutes=1))
        response = client.get("/account/")

        assert response.status_code == 302
        assert session_user_id(client) is None
        assert "a session lasts at most 12 hours" in client.get(response.url).content.decode()


def test_limits_follow_the_settings(client, person, settings):
    settings.IWMS_SESSION_IDLE_MINUTES = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "thabo")
        clock.move_to(start + timedelta(minutes=6))
        assert client.get("/account/").status_code == 302


def test_htmx_request_of_an_ended_session_redirects_the_whole_page(client, person):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "thabo")
        clock.move_to(start + timedelta(hours=1))
        response = client.get(
            "/account/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/incidents/mine/"}
        )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=/incidents/mine/"


def test_sign_out_everywhere_ends_every_session_of_the_account_and_is_audited(person, tenant):
    laptop, phone = Client(), Client()
    sign_in(laptop, "thabo")
    sign_in(phone, "thabo")
    assert phone.get("/account/").status_code == 200

    response = laptop.post("/account/sign-out-everywhere/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert session_user_id(laptop) is None
    phone_response = phone.get("/account/")
    assert phone_response.status_code == 302
    assert "every session of your account was ended" in phone.get(phone_response.url).content.decode()
    person.refresh_from_db()
    assert person.session_generation == 1
    event = AuditEvent.objects.filter(organisation=tenant, action=AuditAction.LOGIN).last()
    assert event.object_id == str(person.pk)
    assert event.changes == {"session_generation": [0, 1]}
    # signing in again afterwards works as usual
    sign_in(phone, "thabo")
    assert phone.get("/account/").status_code == 200


def test_sign_out_everywhere_leaves_other_peoples_sessions_alone(client, person, tenant):
    from tests.factories import UserFactory

    UserFactory(organisation=tenant, username="lerato")
    colleague = Client()
    sign_in(colleague, "lerato")
    sign_in(client, "thabo")

    client.post("/account/sign-out-everywhere/")

    assert colleague.get("/account/").status_code == 200


def test_sign_out_everywhere_is_post_only_and_needs_a_session(client, person):
    assert client.post("/account/sign-out-everywhere/").status_code == 302  # anonymous: to the login page
    sign_in(client, "thabo")
    assert client.get("/account/sign-out-everywhere/").status_code == 405
    person.refresh_from_db()
    assert person.session_generation == 0


def test_account_page_needs_a_session_and_names_the_limits(client, person):
    assert client.get("/account/").url.startswith("/accounts/login/")
    sign_in(client, "thabo")
    page = client.get("/account/").content.decode()
    assert "30 minutes without activity" in page
    assert "12 hours" in page
    assert "Sign out everywhere" in page


def test_a_session_begun_before_the_limits_existed_must_sign_in_again(client, person):
    from iwms.sessions import SIGNED_IN_AT

    client.force_login(person)  # every sign-in path stamps the session, force_login included
    assert client.get("/account/").status_code == 200
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()

    response = client.get("/account/")

    assert response.status_code == 302
    assert session_user_id(client) is None


def test_a_polling_badge_does_not_keep_an_idle_session_alive(client, person):
    poll = {"HX-Request": "true", "HX-Current-URL": "http://testserver/", "X-IWMS-Background": "poll"}
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "thabo")
        assert "X-IWMS-Background" in client.get("/").content.decode()  # the badge sends it
        for minute in range(1, 31):
            clock.move_to(start + timedelta(minutes=minute))
            assert client.get("/inbox/badge/", headers=poll).status_code == 200, f"minute {minute}"

        clock.move_to(start + timedelta(minutes=31))
        response = client.get("/inbox/badge/", headers=poll)

        assert response.status_code == 204
        assert response["HX-Redirect"] == "/accounts/login/?next=/"
        assert session_user_id(client) is None


def test_what_the_person_does_is_activity(client, person):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, "thabo")
        clock.move_to(start + timedelta(minutes=20))
        client.get("/inbox/badge/", headers={"HX-Request": "true"})  # an HTMX request the person made
        clock.move_to(start + timedelta(minutes=45))
        assert client.get("/account/").status_code == 200
