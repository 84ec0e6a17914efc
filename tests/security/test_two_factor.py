"""Two-factor sign-in: supervisors and above, tenant admins, auditors, regulators and external
providers must enrol (secret as text and QR code, confirmed with a code) and verify at every
sign-in; a wrong code is refused and audited, ten recovery codes each work once, reporters are
not asked, and the embedded/demo mode (IWMS_REQUIRE_2FA off) asks nobody."""

from __future__ import annotations

from binascii import unhexlify
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from arc import two_factor
from arc.choices import Role
from iwms.choices import AuditAction
from iwms.models import AuditEvent
from tests.factories import RoleGrantFactory, UserFactory
from tests.security.conftest import sign_in

pytestmark = pytest.mark.django_db

SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/verify/"


@pytest.fixture(autouse=True)
def _two_factor_on(settings):
    settings.IWMS_REQUIRE_2FA = True


def code_for(key_hex: str, *, steps_ahead: int = 0) -> str:
    return str(totp(unhexlify(key_hex), drift=steps_ahead)).zfill(6)


def wrong_code(key_hex: str) -> str:
    right = {code_for(key_hex, steps_ahead=step) for step in (-1, 0, 1)}
    return next(candidate for candidate in ("000000", "111111", "222222", "333333") if candidate not in right)


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    key = two_factor.new_setup_key()
    return two_factor.enrol_authenticator(user=user, key=key, code=code_for(key))


def test_a_supervisor_is_sent_to_enrol_before_any_page(client, org):
    response = sign_in(client, org.supervisor_a.username)
    assert response.status_code == 302

    for path in ["/", "/incidents/mine/", "/account/", "/admin/"]:
        page = client.get(path)
        assert page.status_code == 302, path
        assert page.url.startswith(f"{SETUP}?next="), path
    htmx = client.get("/incidents/mine/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"})
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"] == f"{SETUP}?next=%2F"


def test_enrolment_shows_the_secret_as_text_and_as_a_qr_code(client, org):
    sign_in(client, org.supervisor_a.username)

    page = client.get(f"{SETUP}?next=/incidents/mine/")

    assert page.status_code == 200
    html = page.content.decode()
    key = client.session[two_factor.SETUP_KEY]
    assert two_factor.readable_secret(key) in html
    assert '<svg role="img" aria-label="QR code of your sign-in secret"' in html
    assert "<script" not in html.split("</head>")[1]
    assert not TOTPDevice.objects.exists()  # looking at the page writes nothing
    assert client.get(SETUP).context["secret"] == two_factor.readable_secret(key)  # same secret on reload


def test_a_wrong_enrolment_code_is_refused(client, org):
    sign_in(client, org.supervisor_a.username)
    client.get(SETUP)
    key = client.session[two_factor.SETUP_KEY]

    response = client.post(SETUP, {"code": wrong_code(key), "next": "/"})

    assert response.status_code == 422
    assert "does not match" in response.content.decode()
    assert not TOTPDevice.objects.exists()
    assert client.get("/").url.startswith(SETUP)


def test_the_right_code_enrols_and_shows_ten_recovery_codes_once(client, org, tenant):
    supervisor = org.supervisor_a
    sign_in(client, supervisor.username)
    client.get(SETUP)
    key = client.session[two_factor.SETUP_KEY]

    response = client.post(SETUP, {"code": code_for(key), "next": "/incidents/mine/"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in response.content.decode() for code in codes)
    device = TOTPDevice.objects.get(user=supervisor)
    assert device.confirmed and device.key == key
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10
    # verified for the rest of this session; the codes are not shown again
    assert client.get("/incidents/mine/").status_code == 200
    account = client.get("/account/").content.decode()
    assert "10 recovery codes left" in account
    assert codes[0] not in account
    messages = list(
        AuditEvent.objects.filter(organisation=tenant, object_id=str(supervisor.pk), action=AuditAction.UPDATE)
        .order_by("seq")
        .values_list("message", flat=True)
    )
    assert messages[-2:] == [
        "Two-factor sign-in enrolled with an authenticator app.",
        "New recovery codes issued; earlier ones no longer work.",
    ]


def test_an_enrolled_person_verifies_at_every_sign_in_and_a_wrong_code_is_refused_and_audited(org, tenant):
    supervisor = org.supervisor_a
    device, _ = enrolled(supervisor)
    client = Client()
    start = timezone.now() + timedelta(minutes=2)  # past the code used to enrol
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, supervisor.username)
        first = client.get("/incidents/mine/")
        assert first.url == f"{VERIFY}?next=%2Fincidents%2Fmine%2F"

        refused = client.post(VERIFY, {"code": wrong_code(device.key), "next": "/incidents/mine/"})
        assert refused.status_code == 422
        assert "not valid" in refused.content.decode()
        assert client.get("/incidents/mine/").status_code == 302
        denial = AuditEvent.objects.filter(organisation=tenant, action=AuditAction.ACCESS_DENIED).last()
        assert denial.changes["code"] == "auth.second_factor_invalid"
        assert denial.object_id == str(supervisor.pk)

        clock.move_to(start + timedelta(seconds=5))  # past the one-second throttle after a failure
        key_before = client.session.session_key
        passed = client.post(VERIFY, {"code": code_for(device.key), "next": "/incidents/mine/"})
        assert passed.status_code == 302
        assert passed.url == "/incidents/mine/"
        assert client.get("/incidents/mine/").status_code == 200
        assert client.session.session_key != key_before
        verified = AuditEvent.objects.filter(organisation=tenant, action=AuditAction.LOGIN).last()
        assert verified.changes == {"outcome": "second_factor_verified", "method": "authenticator"}


def test_a_code_cannot_be_replayed_for_another_session(org):
    supervisor = org.supervisor_a
    device, _ = enrolled(supervisor)
    start = timezone.now() + timedelta(minutes=2)
    with time_machine.travel(start, tick=False):
        code = code_for(device.key)
        first, second = Client(), Client()
        sign_in(first, supervisor.username)
        sign_in(second, supervisor.username)
        assert first.post(VERIFY, {"code": code}).status_code == 302
        assert second.post(VERIFY, {"code": code}).status_code == 422


def test_a_recovery_code_works_once(org):
    supervisor = org.supervisor_a
    _, codes = enrolled(supervisor)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        laptop = Client()
        sign_in(laptop, supervisor.username)
        assert laptop.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
        assert laptop.get("/").status_code == 200
        assert StaticToken.objects.filter(device__user=supervisor).count() == 9

        phone = Client()
        sign_in(phone, supervisor.username)
        assert phone.post(VERIFY, {"code": codes[0]}).status_code == 422
        clock.move_to(start + timedelta(seconds=5))
        assert phone.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_replacing_the_authenticator_needs_the_current_one(org):
    supervisor = org.supervisor_a
    enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor.username)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_new_recovery_codes_replace_the_old_ones(org):
    supervisor = org.supervisor_a
    _, old_codes = enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor.username)
    client.post(VERIFY, {"code": old_codes[0]})

    response = client.post("/account/two-factor/recovery-codes/")

    new_codes = response.context["codes"]
    assert len(new_codes) == 10
    assert set(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)) == set(new_codes)


def test_a_reporter_is_not_asked(client, org):
    sign_in(client, org.miner_a.username)
    assert client.get("/").status_code == 200
    assert client.get("/account/").status_code == 200


def test_signing_out_works_while_the_second_factor_is_owed(client, org):
    sign_in(client, org.supervisor_a.username)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_unsafe_next_is_ignored(org):
    supervisor = org.supervisor_a
    _, codes = enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor.username)
    response = client.post(VERIFY, {"code": codes[0], "next": "https://evil.example/"})
    assert response.url == "/"


def test_nobody_is_asked_when_two_factor_is_off(client, org, settings):
    settings.IWMS_REQUIRE_2FA = False
    sign_in(client, org.supervisor_a.username)
    assert client.get("/").status_code == 200
    assert two_factor.roles_requiring_two_factor(org.supervisor_a) == []
    assert 'data-testid="two-factor-off"' in client.get("/account/").content.decode()


@pytest.mark.parametrize(
    ("who", "required"),
    [
        ("gm", ["supervisor", "top"]),
        ("head", ["supervisor", "department_head"]),
        ("supervisor_a", ["supervisor"]),
        ("miner_a", []),
        ("miner_b", []),
    ],
)
def test_who_must_use_a_second_factor_follows_the_organogram(org, who, required):
    assert sorted(two_factor.roles_requiring_two_factor(getattr(org, who))) == sorted(required)


@pytest.mark.parametrize(
    "role", [Role.TENANT_ADMIN, Role.AUDITOR, Role.REGULATOR, Role.EXTERNAL_PROVIDER, Role.CATEGORY_CUSTODIAN]
)
def test_granted_roles_that_need_a_second_factor(tenant, role):
    grant = RoleGrantFactory(organisation=tenant, role=role)
    expected = [] if role == Role.CATEGORY_CUSTODIAN else [role]
    assert two_factor.roles_requiring_two_factor(grant.user) == expected


def test_platform_admins_need_a_second_factor(db):
    admin = UserFactory(organisation=None, is_superuser=True, is_staff=True)
    assert two_factor.roles_requiring_two_factor(admin) == ["platform_admin"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/account/"),
        ("get", SETUP),
        ("get", VERIFY),
        ("post", "/account/two-factor/recovery-codes/"),
        ("post", "/account/sign-out-everywhere/"),
    ],
)
def test_account_pages_send_anonymous_visitors_to_sign_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_new_recovery_codes_need_a_verified_session(org, settings):
    settings.IWMS_REQUIRE_2FA = False  # nothing forces verification, so the page must refuse itself
    supervisor = org.supervisor_a
    _, codes = enrolled(supervisor)
    client = Client()
    sign_in(client, supervisor.username)
    response = client.post("/account/two-factor/recovery-codes/")
    assert response.status_code == 403
    assert set(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)) == set(codes)
