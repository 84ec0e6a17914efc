"""A tenant-owned row never references another tenant's row: refused by the application with
`tenant.cross_reference` (and audited), and by the database on paths that skip save()."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, transaction
from django.test import RequestFactory
from django.utils import timezone

from arc.choices import Role
from arc.models import RoleGrant
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification
from iwms.refusals import PolicyErrorMiddleware
from organogram.choices import UnitKind
from organogram.models import OrgUnit, Position
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(tenant, other_tenant):
    return (
        OrgUnit.objects.create(organisation=tenant, code="ops", name="Operations", kind=UnitKind.DEPARTMENT),
        OrgUnit.objects.create(organisation=other_tenant, code="ops", name="Operations", kind=UnitKind.DEPARTMENT),
    )


def test_save_refuses_a_reference_into_another_tenant(tenant, units):
    _, foreign_unit = units
    with pytest.raises(PolicyError) as refused:
        Position.objects.create(organisation=tenant, code="p", title="Planner", unit=foreign_unit)
    assert refused.value.code == "tenant.cross_reference"
    assert refused.value.context["field"] == "unit"
    assert not Position.objects.filter(code="p").exists()


def test_database_refuses_the_same_reference_on_update(tenant, units):
    own_unit, foreign_unit = units
    position = Position.objects.create(organisation=tenant, code="p", title="Planner", unit=own_unit)
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        Position.objects.filter(pk=position.pk).update(unit=foreign_unit)
    assert "tenant.cross_reference" in str(refused.value)
    assert Position.objects.get(pk=position.pk).unit_id == own_unit.pk


def test_database_refuses_the_same_reference_on_bulk_insert(tenant, other_tenant):
    foreign_user = UserFactory(organisation=other_tenant)
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        RoleGrant.objects.bulk_create(
            [RoleGrant(organisation=tenant, user=foreign_user, role=Role.AUDITOR, starts_at=timezone.now())]
        )
    assert "tenant.cross_reference" in str(refused.value)


def test_one_foreign_row_in_a_large_bulk_insert_refuses_the_whole_statement(tenant, other_tenant):
    # PostgreSQL checks an INSERT's rows together (its transition table); the last row decides here.
    own_user, foreign_user = UserFactory(organisation=tenant), UserFactory(organisation=other_tenant)

    def row(recipient, n):
        return Notification(
            organisation=tenant, recipient=recipient, event="test", object_type="t", object_id=str(n), subject="s"
        )

    rows = [row(own_user, n) for n in range(300)]
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        Notification.objects.bulk_create([*rows, row(foreign_user, 300)])
    assert "tenant.cross_reference" in str(refused.value)
    assert not Notification.objects.filter(organisation=tenant).exists()
    Notification.objects.bulk_create(rows)
    assert Notification.objects.filter(organisation=tenant).count() == 300


def test_platform_superuser_without_tenant_may_be_referenced(tenant):
    platform = UserFactory(organisation=None, is_superuser=True)
    grant = RoleGrant.objects.create(
        organisation=tenant,
        user=UserFactory(organisation=tenant),
        role=Role.AUDITOR,
        granted_by=platform,
        starts_at=timezone.now(),
    )
    assert grant.granted_by == platform


def test_refusal_escaping_a_view_is_audited_in_the_tenant_ledger(tenant, units):
    _, foreign_unit = units
    actor = UserFactory(organisation=tenant)
    request = RequestFactory().post("/anything/")
    request.user = actor

    def view(request):
        Position.objects.create(organisation=tenant, code="p", title="Planner", unit=foreign_unit)

    middleware = PolicyErrorMiddleware(view)
    try:
        view(request)
    except PolicyError as exc:
        response = middleware.process_exception(request, exc)
    assert response.status_code == 403
    event = AuditEvent.objects.get(organisation=tenant, action="access_denied")
    assert event.changes["code"] == "tenant.cross_reference"
    assert event.actor == actor


def test_refusal_is_audited_once_even_when_recorded_twice(tenant):
    from iwms.refusals import record_refusal

    exc = PolicyError("access_denied", tenant=tenant)
    record_refusal(exc)
    record_refusal(exc)
    assert AuditEvent.objects.filter(organisation=tenant, action="access_denied").count() == 1


def test_policy_error_json_response_carries_the_stable_code(tenant):
    request = RequestFactory().get("/api/v1/things", HTTP_ACCEPT="application/json")
    request.user = UserFactory(organisation=tenant)
    response = PolicyErrorMiddleware(lambda r: None).process_exception(
        request, PolicyError("transition.not_allowed", "Cannot do that now.", tenant=tenant)
    )
    assert response.status_code == 409
    assert json.loads(response.content)["error"]["code"] == "transition.not_allowed"


def test_unknown_error_code_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown PolicyError code"):
        PolicyError("made.up")
