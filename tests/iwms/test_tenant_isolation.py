"""A tenant-owned row never refers to a row of another tenant: `save()` refuses with
`tenant.cross_reference` (and the refusal is audited at the boundary), and the database refuses
the same on every path that skips `save()` — `QuerySet.update()`, `bulk_create()`, raw SQL —
including moving either row to another tenant afterwards."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from arc.choices import Role
from arc.models import Delegation, RoleGrant
from arc.services import accept_delegation, grant_role
from iwms import db_guards
from iwms.audit import record_event, verify_chain
from iwms.bulk_rows import create_with_history
from iwms.errors import PolicyError
from iwms.models import AuditEvent, User
from iwms.refusals import audited_refusals
from organogram.choices import UnitKind
from organogram.models import OrgUnit, Position
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CROSS = "tenant.cross_reference"


@pytest.fixture
def own_unit(tenant):
    return OrgUnit.objects.create(organisation=tenant, code="ops", name="Operations", kind=UnitKind.DEPARTMENT)


@pytest.fixture
def foreign_unit(other_tenant):
    return OrgUnit.objects.create(organisation=other_tenant, code="ops", name="Operations", kind=UnitKind.DEPARTMENT)


@pytest.fixture
def position(tenant, own_unit):
    return Position.objects.create(organisation=tenant, code="planner", title="Planner", unit=own_unit)


@pytest.fixture
def platform_admin(db):
    return UserFactory(organisation=None, is_superuser=True, is_staff=True, username="platform")


def refused_by_database(write) -> str:
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        write()
    assert CROSS in str(refused.value)
    return str(refused.value)


def refused_raw(sql: str, params: list) -> str:
    def write() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return refused_by_database(write)


# --- save() ---------------------------------------------------------------------------------


def test_saving_a_position_in_a_unit_of_another_tenant_is_refused(tenant, foreign_unit):
    with pytest.raises(PolicyError) as refused:
        Position.objects.create(organisation=tenant, code="p", title="Planner", unit=foreign_unit)
    error = refused.value
    assert error.code == CROSS and error.http_status == 403
    assert error.tenant == tenant
    assert error.context == {"model": "organogram.Position", "field": "unit", "referenced_id": str(foreign_unit.pk)}
    assert "another organisation" in error.message
    assert not Position.objects.filter(code="p").exists()


def test_repointing_a_saved_row_into_another_tenant_is_refused(position, own_unit, foreign_unit):
    position.unit = foreign_unit
    with pytest.raises(PolicyError) as refused:
        position.save()
    assert refused.value.code == CROSS
    assert Position.objects.get(pk=position.pk).unit_id == own_unit.pk


def test_a_save_of_some_fields_checks_the_keys_among_them(position, own_unit, foreign_unit):
    fresh = Position.objects.get(pk=position.pk)  # its unit is not loaded: checking it would cost a query
    with CaptureQueriesContext(connection) as saved:
        fresh.title = "Senior planner"
        fresh.save(update_fields=["title"])
    assert not [q for q in saved.captured_queries if q["sql"].startswith("SELECT")]
    fresh.unit = foreign_unit
    with pytest.raises(PolicyError, match=CROSS):
        fresh.save(update_fields=["unit", "title"])
    fresh.unit, fresh.organisation_id = own_unit, foreign_unit.organisation_id
    with pytest.raises(PolicyError, match=CROSS):  # moving the row itself: every key is checked
        fresh.save(update_fields=["organisation"])
    assert Position.objects.get(pk=position.pk).unit_id == own_unit.pk


def test_rows_written_with_their_history_in_bulk_are_checked_as_save_checks_them(tenant, own_unit, foreign_unit):
    rows = [
        Position(organisation=tenant, code="ok", title="Planner", unit=own_unit),
        Position(organisation=tenant, code="p", title="Planner", unit_id=foreign_unit.pk),
    ]
    with pytest.raises(PolicyError, match=CROSS):
        create_with_history(Position, rows)
    assert not Position.objects.filter(code__in=["ok", "p"]).exists()


def test_a_reference_set_by_id_is_checked_too(tenant, foreign_unit):
    with pytest.raises(PolicyError, match=CROSS):
        Position(organisation=tenant, code="p", title="Planner", unit_id=foreign_unit.pk).save()


def test_granting_a_role_to_a_user_of_another_tenant_is_refused(tenant, outsider):
    with pytest.raises(PolicyError) as refused:
        grant_role(tenant=tenant, user=outsider, role=Role.AUDITOR)
    assert refused.value.code == CROSS and refused.value.context["field"] == "user"
    assert not RoleGrant.objects.exists()


def test_references_within_one_tenant_are_allowed(tenant, own_unit, giver):
    position = Position.objects.create(organisation=tenant, code="p", title="Planner", unit=own_unit)
    grant = grant_role(tenant=tenant, user=giver, role=Role.AUDITOR, granted_by=giver)
    assert position.unit == own_unit and grant.user == giver


def test_a_platform_superuser_without_tenant_may_be_referenced(tenant, giver, platform_admin):
    grant = grant_role(tenant=tenant, user=giver, role=Role.AUDITOR, granted_by=platform_admin)
    assert RoleGrant.objects.get(pk=grant.pk).granted_by == platform_admin
    # …and by the paths that skip save(), which the database checks
    RoleGrant.objects.filter(pk=grant.pk).update(granted_by=platform_admin)
    RoleGrant.objects.bulk_create(
        [
            RoleGrant(
                organisation=tenant,
                user=giver,
                role=Role.REGULATOR,
                granted_by=platform_admin,
                starts_at=timezone.now(),
            )
        ]
    )
    assert RoleGrant.objects.filter(granted_by=platform_admin).count() == 2


# --- paths that skip save(): the database refuses ---------------------------------------------


def test_queryset_update_into_another_tenant_is_refused_by_the_database(position, own_unit, foreign_unit):
    refused_by_database(lambda: Position.objects.filter(pk=position.pk).update(unit=foreign_unit))
    assert Position.objects.get(pk=position.pk).unit_id == own_unit.pk


def test_bulk_create_into_another_tenant_is_refused_by_the_database(tenant, outsider):
    refused_by_database(
        lambda: RoleGrant.objects.bulk_create(
            [RoleGrant(organisation=tenant, user=outsider, role=Role.AUDITOR, starts_at=timezone.now())]
        )
    )
    assert not RoleGrant.objects.exists()


def test_raw_sql_insert_and_update_into_another_tenant_are_refused(tenant, giver, outsider):
    now = timezone.now()
    refused_raw(
        "INSERT INTO arc_rolegrant (organisation_id, user_id, role, reason, starts_at, created_at, updated_at) "
        "VALUES (%s, %s, %s, '', %s, %s, %s)",
        [tenant.pk, outsider.pk, Role.AUDITOR, now, now, now],
    )
    grant = grant_role(tenant=tenant, user=giver, role=Role.AUDITOR)
    refused_raw("UPDATE arc_rolegrant SET granted_by_id = %s WHERE id = %s", [outsider.pk, grant.pk])
    assert RoleGrant.objects.get().granted_by_id is None


def test_moving_a_referencing_row_to_another_tenant_is_refused(position, other_tenant, tenant):
    refused_by_database(lambda: Position.objects.filter(pk=position.pk).update(organisation=other_tenant))
    assert Position.objects.get(pk=position.pk).organisation_id == tenant.pk


def test_moving_a_referenced_row_to_another_tenant_is_refused(tenant, other_tenant, giver):
    """Otherwise a grant of `tenant` would silently point at a user of `other_tenant`."""
    grant_role(tenant=tenant, user=giver, role=Role.AUDITOR)
    message = refused_by_database(lambda: User.objects.filter(pk=giver.pk).update(organisation=other_tenant))
    assert "arc_rolegrant.user_id" in message
    giver.organisation = other_tenant
    with pytest.raises(IntegrityError, match=CROSS), transaction.atomic():
        giver.save()
    assert User.objects.get(pk=giver.pk).organisation_id == tenant.pk


def test_moving_a_referenced_unit_to_another_tenant_is_refused(position, own_unit, other_tenant):
    refused_by_database(lambda: OrgUnit.objects.filter(pk=own_unit.pk).update(organisation=other_tenant))


def test_an_unreferenced_row_may_move_and_a_referenced_one_may_become_platform_level(
    tenant, other_tenant, giver, taker
):
    User.objects.filter(pk=taker.pk).update(organisation=other_tenant)
    grant_role(tenant=tenant, user=giver, role=Role.AUDITOR)
    User.objects.filter(pk=giver.pk).update(organisation=None, is_superuser=True)
    assert User.objects.get(pk=taker.pk).organisation_id == other_tenant.pk
    assert User.objects.get(pk=giver.pk).organisation_id is None


# --- the ledger may name outsiders ------------------------------------------------------------


def test_the_ledger_may_name_an_outsider_as_actor(tenant, outsider):
    """A refused attempt by a user of another tenant is recorded in this tenant's ledger."""
    event = record_event(tenant=tenant, action="access_denied", actor=outsider)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.organisation_id, stored.actor_id) == (tenant.pk, outsider.pk)
    assert verify_chain(tenant).ok


def test_installing_the_guards_drops_a_stale_tenant_check_on_the_ledger(tenant, outsider):
    """Databases guarded before the ledger was exempt carry a trigger refusing outsiders."""
    stale = db_guards.exempt_references()
    assert [(r.table, r.column) for r in stale] == [("iwms_auditevent", "actor_id")]
    build = db_guards._pg_statements if connection.vendor == "postgresql" else db_guards._sqlite_statements
    with connection.cursor() as cursor:
        for statement in build([], stale, [], []):
            cursor.execute(statement)
    refused_by_database(lambda: record_event(tenant=tenant, action="access_denied", actor=outsider))
    db_guards.install()
    assert record_event(tenant=tenant, action="access_denied", actor=outsider).actor_id == outsider.pk


# --- refusals are audited at the boundary -----------------------------------------------------


@pytest.mark.urls("tests.iwms.urls")
def test_a_refusal_raised_in_a_view_is_answered_403_and_audited(client, tenant, giver, foreign_unit):
    client.force_login(giver)
    response = client.post(
        "/kernel-tests/positions/", {"code": "p", "unit": foreign_unit.pk}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403
    assert json.loads(response.content)["error"]["code"] == CROSS
    assert not Position.objects.exists()
    event = AuditEvent.objects.get(organisation=tenant, action="access_denied")
    assert event.actor == giver
    assert event.changes == {
        "code": CROSS,
        "kind": "access",
        "model": "organogram.Position",
        "field": "unit",
        "referenced_id": str(foreign_unit.pk),
    }
    assert event.request_id == response["X-Request-ID"]
    assert verify_chain(tenant).ok


@pytest.mark.urls("tests.iwms.urls")
def test_the_same_view_succeeds_within_one_tenant(client, tenant, giver, own_unit):
    client.force_login(giver)
    response = client.post("/kernel-tests/positions/", {"code": "p", "unit": own_unit.pk})
    assert response.status_code == 200
    assert Position.objects.get(code="p").unit == own_unit
    assert not AuditEvent.objects.filter(action="access_denied").exists()


def test_a_refusal_inside_a_transition_is_audited_at_the_wrapper_and_rolls_back(
    delegation, tenant, taker, outsider, monkeypatch
):
    """A transition whose save would point into another tenant: refused, audited in the
    tenant's ledger, and the transition itself rolled back."""
    original_save = Delegation.save

    def save_pointing_elsewhere(self, *args, **kwargs):
        self.to_person_id = outsider.pk
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(Delegation, "save", save_pointing_elsewhere)
    with pytest.raises(PolicyError) as refused:
        accept_delegation(delegation=delegation, actor=taker)
    assert refused.value.code == CROSS
    monkeypatch.undo()
    stored = Delegation.objects.get(pk=delegation.pk)
    assert (stored.status, stored.to_person_id, stored.accepted_at) == ("proposed", taker.pk, None)
    event = AuditEvent.objects.get(organisation=tenant, action="access_denied")
    assert event.actor == taker and event.changes["code"] == CROSS and event.changes["field"] == "to_person"
    assert not AuditEvent.objects.filter(action="delegate", changes__status=["proposed", "accepted"]).exists()


def test_a_refusal_in_a_task_is_audited_by_the_audited_refusals_boundary(tenant, foreign_unit):
    with pytest.raises(PolicyError), audited_refusals(actor="celery:import"), transaction.atomic():
        Position.objects.create(organisation=tenant, code="p", title="Planner", unit=foreign_unit)
    event = AuditEvent.objects.get(organisation=tenant, action="access_denied")
    assert (event.actor_kind, event.actor_label, event.changes["code"]) == ("system", "celery:import", CROSS)
