"""Roles: derived from the person's positions in the organogram plus live explicit grants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from arc.choices import Role
from arc.roles import roles_of
from arc.services import grant_role, revoke_role
from iwms.models import AuditEvent
from organogram.models import PositionAssignment
from organogram.services import end_assignment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_general_manager_is_top_of_hierarchy(org):
    roles = roles_of(org.gm)

    assert roles.roles == ["reporter", "top", "supervisor"]
    assert roles.positions == [org.gm_position]


def test_the_department_head_is_department_head_and_supervisor_but_not_top(org):
    roles = roles_of(org.head)

    assert roles.roles == ["reporter", "department_head", "supervisor"]
    assert roles.labels == ["reporter", "department head", "supervisor"]


def test_a_shift_supervisor_is_a_supervisor_only(org):
    assert roles_of(org.supervisor_a).roles == ["reporter", "supervisor"]


def test_staff_are_reporters_only(org):
    for person in (org.miner_a, org.miner_b):
        assert roles_of(person).roles == ["reporter"]


def test_a_supervisor_whose_staff_have_left_is_no_longer_a_supervisor(org):
    end_assignment(assignment=PositionAssignment.objects.get(position=org.miner_a_position, ends_at__isnull=True))

    assert roles_of(org.supervisor_a).roles == ["reporter"]
    assert "supervisor" in roles_of(org.supervisor_a, at=datetime(2025, 1, 1, tzinfo=UTC))


def test_an_auditor_with_a_grant_and_no_position_is_not_a_reporter(org):
    auditor = UserFactory(organisation=org.tenant)
    grant_role(tenant=org.tenant, user=auditor, role=Role.AUDITOR, granted_by=org.gm, reason="Annual ISO 45001 audit")

    roles = roles_of(auditor)

    assert roles.roles == ["auditor"]
    assert "reporter" not in roles
    assert roles.positions == []


def test_a_granted_role_adds_to_the_roles_from_the_organogram(org):
    grant_role(tenant=org.tenant, user=org.head, role=Role.CATEGORY_CUSTODIAN)

    assert roles_of(org.head).roles == ["reporter", "department_head", "supervisor", "category_custodian"]


def test_an_expired_grant_gives_no_role(org):
    auditor = UserFactory(organisation=org.tenant)
    now = timezone.now()
    grant_role(
        tenant=org.tenant,
        user=auditor,
        role=Role.AUDITOR,
        starts_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=1),
    )

    assert "auditor" not in roles_of(auditor)
    assert "auditor" in roles_of(auditor, at=now - timedelta(days=2))


def test_a_grant_not_yet_started_gives_no_role(org):
    auditor = UserFactory(organisation=org.tenant)
    grant_role(tenant=org.tenant, user=auditor, role=Role.AUDITOR, starts_at=timezone.now() + timedelta(days=1))

    assert "auditor" not in roles_of(auditor)


def test_a_revoked_grant_gives_no_role_and_the_revocation_is_audited(org):
    regulator = UserFactory(organisation=org.tenant)
    grant = grant_role(tenant=org.tenant, user=regulator, role=Role.REGULATOR, granted_by=org.gm)

    revoke_role(grant=grant, actor=org.gm)

    assert "regulator" not in roles_of(regulator)
    events = AuditEvent.objects.filter(object_type="arc.rolegrant", object_id=str(grant.pk)).order_by("seq")
    assert [(e.action, e.actor) for e in events] == [("assign", org.gm), ("update", org.gm)]
    assert events[0].changes == {"user": regulator.pk, "role": "regulator", "expires_at": None}
