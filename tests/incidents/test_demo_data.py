"""The demo tenants and volume data: realistic, complete, idempotent and auditable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from arc.roles import roles_of
from iwms.audit import verify_chain
from iwms.models import AuditEvent, Organisation, User
from organogram.hierarchy import department_head_of, escalation_chain, supervisor_of
from organogram.models import Position, PositionAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_the_mine_with_about_forty_people_and_a_second_tenant(seeded):
    mine = Organisation.objects.get(slug="kimberlite-ridge")
    people = User.objects.filter(organisation=mine).count()
    assert 38 <= people <= 50
    assert Organisation.objects.filter(slug="karoo-traders").exists()
    assert Position.objects.filter(organisation=mine, parent__isnull=True).count() == 1
    vacant = Position.objects.filter(organisation=mine).exclude(
        pk__in=PositionAssignment.objects.filter(ends_at__isnull=True).values("position")
    )
    # The demo's HR transfer (governance.demo) moved Shift Boss B to the plant's vacant post.
    assert list(vacant.values_list("code", flat=True)) == ["shift-boss-b"]


def test_seed_demo_prints_every_login_with_the_password(seeded, settings):
    assert settings.IWMS_DEMO_PASSWORD in seeded
    for username in (
        "reporter",
        "responsible",
        "supervisor",
        "depthead",
        "top",
        "custodian",
        "admin",
        "auditor",
        "regulator",
        "provider",
        "platform",
    ):
        assert f"  {username} " in seeded


def test_demo_roles_resolve_through_the_organogram(seeded):
    responsible = User.objects.get(username="responsible")
    assert supervisor_of(responsible).holder.username == "supervisor"
    assert department_head_of(responsible).holder.username == "depthead"
    assert [level.holder.username for level in escalation_chain(responsible)] == ["supervisor", "depthead", "top"]
    assert "top" in roles_of(User.objects.get(username="top"))
    assert "department_head" in roles_of(User.objects.get(username="depthead"))
    assert "supervisor" in roles_of(User.objects.get(username="supervisor"))
    assert roles_of(User.objects.get(username="regulator")).roles == ["regulator"]


def test_seed_demo_writes_a_verifiable_ledger_and_is_idempotent(seeded):
    mine = Organisation.objects.get(slug="kimberlite-ridge")
    events = AuditEvent.objects.filter(organisation=mine).count()
    assert events > 80
    call_command("seed_demo", stdout=StringIO())
    assert AuditEvent.objects.filter(organisation=mine).count() == events
    assert User.objects.filter(username="reporter").count() == 1
    assert verify_chain(mine).ok


def test_seed_demo_if_empty_leaves_existing_data_alone(tenant):
    out = StringIO()
    call_command("seed_demo", if_empty=True, stdout=out)
    assert not Organisation.objects.filter(slug="kimberlite-ridge").exists()
    assert "already exist" in out.getvalue()


def test_seed_volume_writes_people_in_positions_and_a_valid_chain():
    out = StringIO()
    call_command("seed_volume", tenant="vol", people=30, events=120, stdout=out)
    tenant = Organisation.objects.get(slug="vol")
    assert User.objects.filter(organisation=tenant).count() == 30
    assert PositionAssignment.objects.filter(organisation=tenant, ends_at__isnull=True).count() == 30
    staff = User.objects.filter(organisation=tenant).order_by("pk")[5]
    chain = escalation_chain(staff)
    assert [level.position.title for level in chain] == ["Supervisor"]  # heads are vacant in volume data
    report = verify_chain(tenant)
    assert report.ok and report.events == 120
    assert "rows written" in out.getvalue()


def test_seed_volume_writes_incidents_in_every_state():
    from incidents.models import Incident

    call_command("seed_volume", tenant="vol", people=24, incidents=200, stdout=StringIO())
    tenant = Organisation.objects.get(slug="vol")
    incidents = Incident.objects.filter(organisation=tenant)
    assert incidents.count() == 200
    assert set(incidents.values_list("status", flat=True)) == {
        "open",
        "in_progress",
        "half_closed",
        "pending_closure",
        "closed",
    }
    assert not incidents.filter(resolve_due_at__isnull=True).exists()


def test_seed_volume_incidents_need_people_first():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--people first"):
        call_command("seed_volume", tenant="empty", incidents=5, stdout=StringIO())


def test_seed_demo_leaves_work_waiting_for_the_responsible_person(seeded):
    from incidents.models import Incident
    from incidents.work.services.execution import workflow_of

    mine = Organisation.objects.get(slug="kimberlite-ridge")
    incidents = {i.category.code: i for i in Incident.objects.for_tenant(mine).select_related("category")}
    assert incidents["SAF.GEO.FOG"].status == "in_progress" and incidents["SAF.VEH.PED"].status == "open"
    assert incidents["SAF.GEO.FOG"].responsible.username == "responsible"
    assert workflow_of(incidents["SAF.GEO.FOG"]).template.code == "fall_of_ground"
    assert "demo incident INC-" in seeded
