"""API tokens of integration accounts: hashed at rest (the plain token is returned once),
scoped, expiring and revocable; authentication refuses anything else with `token.invalid`;
issued and revoked through the admin too."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from arc.choices import Role, TokenScope
from arc.models import ApiToken
from arc.tokens import authenticate_token, has_scope, issue_token, revoke_token
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from iwms.refusals import record_refusal
from tests.factories import RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def radam(tenant):
    return RoleGrantFactory(organisation=tenant, role=Role.INTEGRATION, user__username="radam").user


@pytest.fixture
def issued(radam):
    return issue_token(user=radam, name="RADAM detections", scopes=[TokenScope.INCIDENTS_WRITE])


def refusal(raw: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        authenticate_token(raw)
    assert caught.value.code == "token.invalid"
    return caught.value


def test_the_token_is_returned_once_and_only_its_hash_is_stored(issued, radam, tenant):
    token, raw = issued
    assert raw.startswith(f"iwms_{token.prefix}_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    secret = raw.split("_", 2)[2]
    row_text = " ".join(str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values())
    assert secret not in row_text
    event = AuditEvent.objects.get(organisation=tenant, action=AuditAction.CREATE, object_id=str(token.pk))
    assert event.changes["scopes"] == ["incidents:write"]
    assert secret not in str(event.changes)


def test_a_valid_token_authenticates_its_account_with_its_scopes(issued, radam):
    token, raw = issued
    user, found = authenticate_token(raw)
    assert (user, found) == (radam, token)
    assert has_scope(found, TokenScope.INCIDENTS_WRITE)
    assert not has_scope(found, TokenScope.INCIDENTS_READ)
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(issued):
    token, raw = issued
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        authenticate_token(raw)
        clock.move_to(start + timedelta(seconds=30))
        authenticate_token(raw)
        assert ApiToken.objects.get(pk=token.pk).last_used_at == start
        clock.move_to(start + timedelta(seconds=90))
        authenticate_token(raw)
        assert ApiToken.objects.get(pk=token.pk).last_used_at == start + timedelta(seconds=90)


@pytest.mark.parametrize("raw", ["", "Bearer x", "iwms_nothex00_" + "a" * 43, "iwms_abcdef012345_short"])
def test_malformed_tokens_are_refused_without_a_tenant(raw):
    assert refusal(raw).tenant is None


def test_an_unknown_prefix_is_refused(issued):
    _, raw = issued
    assert refusal(raw.replace(raw[5:17], "0" * 12)).tenant is None


def test_a_wrong_secret_with_a_known_prefix_is_refused_and_names_the_tenant(issued, tenant):
    token, raw = issued
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    error = refusal(forged)
    assert error.tenant == tenant
    assert error.context["reason"] == "secret does not match"
    record_refusal(error)
    denial = AuditEvent.objects.get(organisation=tenant, action=AuditAction.ACCESS_DENIED)
    assert denial.changes["code"] == "token.invalid"
    assert denial.object_id == str(token.pk)


def test_a_revoked_token_is_refused_and_the_revocation_is_audited(issued, tenant):
    token, raw = issued
    revoke_token(token=token, reason="Rotated.")
    assert refusal(raw).context["reason"] == "revoked"
    again = revoke_token(token=token)  # idempotent
    assert again.revoked_at == ApiToken.objects.get(pk=token.pk).revoked_at
    assert (
        AuditEvent.objects.filter(organisation=tenant, action=AuditAction.UPDATE, object_id=str(token.pk)).count() == 1
    )


def test_an_expired_token_is_refused(radam):
    _, raw = issue_token(
        user=radam, name="PIT", scopes=[TokenScope.INCIDENTS_READ], expires_at=timezone.now() + timedelta(days=1)
    )
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert refusal(raw).context["reason"] == "expired"


def test_a_token_stops_working_when_the_integration_grant_is_revoked(issued, radam):
    from arc.models import RoleGrant
    from arc.services import revoke_role

    _, raw = issued
    revoke_role(grant=RoleGrant.objects.get(user=radam, role=Role.INTEGRATION))
    assert "integration account" in refusal(raw).context["reason"]


def test_tokens_go_only_to_integration_accounts(tenant):
    person = UserFactory(organisation=tenant)
    with pytest.raises(PolicyError) as caught:
        issue_token(user=person, name="mine", scopes=[TokenScope.INCIDENTS_READ])
    assert caught.value.code == "validation.invalid"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("scopes", [[], ["incidents:delete"]])
def test_scopes_must_be_known_and_not_empty(radam, scopes):
    with pytest.raises(PolicyError) as caught:
        issue_token(user=radam, name="x", scopes=scopes)
    assert caught.value.context["field"] == "scopes"


def test_only_a_tenant_admin_of_the_same_tenant_issues_tokens(radam, tenant, other_tenant):
    reporter = UserFactory(organisation=tenant)
    outsider_admin = RoleGrantFactory(organisation=other_tenant, role=Role.TENANT_ADMIN).user
    for actor in (reporter, outsider_admin):
        with pytest.raises(PolicyError) as caught:
            issue_token(user=radam, name="x", scopes=[TokenScope.INCIDENTS_READ], actor=actor)
        assert caught.value.code == "access_denied"
    admin = RoleGrantFactory(organisation=tenant, role=Role.TENANT_ADMIN).user
    token, _ = issue_token(user=radam, name="x", scopes=[TokenScope.INCIDENTS_READ], actor=admin)
    assert token.issued_by == admin


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(organisation=None, is_superuser=True, is_staff=True))
    return client


def test_the_admin_issues_a_token_and_shows_it_once(admin_client, radam):
    response = admin_client.post(
        "/admin/arc/apitoken/add/",
        {"user": radam.pk, "name": "Surveillance tier 2", "scopes": ["incidents:write", "evidence:write"]},
    )

    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    user, token = authenticate_token(raw)
    assert user == radam
    assert token.scopes == ["evidence:write", "incidents:write"]
    change_page = admin_client.get(f"/admin/arc/apitoken/{token.pk}/change/").content.decode()
    assert token.token_hash in change_page  # shown, read-only
    assert raw not in change_page
    assert 'name="token_hash"' not in change_page


def test_the_admin_refuses_a_token_for_a_person(admin_client, tenant):
    person = UserFactory(organisation=tenant)
    response = admin_client.post(
        "/admin/arc/apitoken/add/", {"user": person.pk, "name": "x", "scopes": ["incidents:read"]}
    )
    assert response.status_code == 200
    assert "integration accounts" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_selected_tokens(admin_client, issued):
    token, raw = issued
    response = admin_client.post(
        "/admin/arc/apitoken/", {"action": "revoke_selected", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 API token(s) revoked." in response.content.decode()
    assert refusal(raw).context["reason"] == "revoked"
    assert admin_client.post(f"/admin/arc/apitoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403
