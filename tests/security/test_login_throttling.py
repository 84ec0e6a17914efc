"""Login throttling: an account is locked out after 5 failed sign-ins (even the right password
is then refused with the lockout page), other accounts from the same address keep their own
limit until the address's limit, the lockout ends after the cool-off, and every failure and
lockout is in the account's tenant ledger (unknown usernames in no ledger)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from iwms.choices import AuditAction
from iwms.models import AuditEvent
from tests.factories import UserFactory
from tests.security.conftest import sign_in

pytestmark = pytest.mark.django_db


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def ledger(tenant, *actions):
    return list(AuditEvent.objects.filter(organisation=tenant, action__in=actions).order_by("seq"))


def test_five_wrong_passwords_lock_the_account_even_against_the_right_password(client, person, tenant):
    for attempt in range(1, 5):
        response = sign_in(client, "thabo", "wrong-password")
        assert response.status_code == 200, f"attempt {attempt}"
        assert "correct username and password" in response.content.decode()

    fifth = sign_in(client, "thabo", "wrong-password")
    assert fifth.status_code == 429
    assert "Sign-in paused" in fifth.content.decode()

    sixth = sign_in(client, "thabo")  # the right password
    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert 'data-testid="locked-out"' in page
    assert "paused for 15 minutes" in page
    assert not signed_in(client)


def test_failures_and_lockouts_are_in_the_tenants_ledger(client, person, tenant):
    for _ in range(6):
        sign_in(client, "thabo", "wrong-password")

    failed = ledger(tenant, AuditAction.LOGIN)
    assert [event.changes["outcome"] for event in failed] == ["failed"] * 4
    assert [event.changes["failures"] for event in failed] == [1, 2, 3, 4]
    assert {(event.object_type, event.object_id) for event in failed} == {("iwms.user", str(person.pk))}
    assert failed[0].changes["ip_address"] == "127.0.0.1"
    assert failed[0].actor_label == "anonymous sign-in from 127.0.0.1"
    locked = ledger(tenant, AuditAction.ACCESS_DENIED)
    assert [event.changes["code"] for event in locked] == ["auth.locked_out", "auth.locked_out"]
    assert locked[0].changes["username"] == "thabo"
    assert locked[0].object_id == str(person.pk)


def test_successful_sign_in_is_audited_and_clears_earlier_failures(client, person, tenant):
    for _ in range(4):
        sign_in(client, "thabo", "wrong-password")
    assert sign_in(client, "thabo").status_code == 302
    client.post("/accounts/logout/")

    for _ in range(4):  # a fresh allowance after a successful sign-in
        assert sign_in(client, "thabo", "wrong-password").status_code == 200
    assert sign_in(client, "thabo").status_code == 302
    outcomes = [event.changes["outcome"] for event in ledger(tenant, AuditAction.LOGIN)]
    assert outcomes == ["failed"] * 4 + ["signed_in"] + ["failed"] * 4 + ["signed_in"]


def test_another_account_from_the_same_address_keeps_its_own_limit(client, person, tenant):
    UserFactory(organisation=tenant, username="lerato")
    for _ in range(5):
        sign_in(client, "thabo", "wrong-password")
    assert sign_in(client, "thabo").status_code == 429

    for _ in range(4):
        assert sign_in(client, "lerato", "wrong-password").status_code == 200
    assert sign_in(client, "lerato").status_code == 302
    assert signed_in(client)


def test_an_address_is_locked_out_once_its_failures_across_accounts_reach_the_address_limit(client, tenant, settings):
    settings.IWMS_LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for name in ["a1", "a2", "a3", "fresh"]:
        UserFactory(organisation=tenant, username=name)
    for name, failures in [("a1", 4), ("a2", 3)]:
        for _ in range(failures):
            assert sign_in(client, name, "wrong-password").status_code == 200

    # the 8th failure from this address, by a third account, locks the address out...
    assert sign_in(client, "a3", "wrong-password").status_code == 429
    # ...so even an account that never failed is refused from here
    assert sign_in(client, "fresh").status_code == 429
    # ...but not from another address
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert sign_in(elsewhere, "fresh").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, person):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            sign_in(client, "thabo", "wrong-password")
        clock.move_to(start + timedelta(minutes=14))
        assert sign_in(client, "thabo").status_code == 429

        clock.move_to(start + timedelta(minutes=14 + 16))
        assert sign_in(client, "thabo").status_code == 302


def test_unknown_usernames_are_throttled_but_audited_to_no_tenant(client, tenant, caplog):
    for _ in range(5):
        sign_in(client, "nobody-here", "guess")
    assert sign_in(client, "nobody-here", "guess").status_code == 429
    assert not AuditEvent.objects.filter(action__in=[AuditAction.LOGIN, AuditAction.ACCESS_DENIED]).exists()
    assert "failed sign-in as 'nobody-here' from 127.0.0.1" in caplog.text


def test_the_address_behind_a_trusted_proxy_is_the_one_the_proxy_saw(client, person, tenant, settings):
    settings.IWMS_PROXY_COUNT = 1
    sign_in(client, "thabo", "wrong-password", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert ledger(tenant, AuditAction.LOGIN)[-1].changes["ip_address"] == "203.0.113.9"


def test_admin_sign_in_goes_through_the_one_throttled_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/"
