"""The seeded demo gives the auditor and the regulator a live grant (issued through the grant
services), so /portal/ shows them incidents out of the box; without a live grant /portal/ says
so and whom to ask instead of answering 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incidents.choices import GrantStanding
from incidents.models import AccessGrant, Incident
from iwms.models import AuditEvent, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize(("username", "days"), [("auditor", 365), ("regulator", 180)])
def test_the_demo_issues_the_auditor_and_the_regulator_a_grant_through_the_services(seeded, username, days):
    grant = AccessGrant.objects.get(grantee__username=username)
    assert grant.is_live() and grant.category.code == "SAF" and grant.covers_later_incidents
    assert grant.requested_by.username == "custodian" and grant.issued_by.username == "admin"
    assert grant.requested_as == GrantStanding.CATEGORY_CUSTODIAN
    assert abs(grant.expires_at - (timezone.now() + timedelta(days=days))) < timedelta(minutes=5)
    actions = list(
        AuditEvent.objects.filter(object_type="incidents.accessgrant", object_id=str(grant.pk)).values_list(
            "message", flat=True
        )
    )
    assert actions[0].startswith("Grant requested") and actions[1].startswith("Grant issued")


@pytest.mark.parametrize("username", ["auditor", "regulator"])
def test_the_seeded_portal_shows_incidents_to_both(client, seeded, username):
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("portal"), follow=True)
    assert response.status_code == 200
    listed = response.context["page"].object_list
    fall = Incident.objects.get(title__startswith="Fall of ground at Shaft 2")
    assert fall in listed and len(listed) >= 2


def test_seeding_twice_issues_no_second_grant(seeded):
    call_command("seed_demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert AccessGrant.objects.filter(grantee__username__in=["auditor", "regulator"]).count() == 2


def test_without_a_live_grant_the_portal_explains_and_names_the_tenant_admins(client, seeded):
    auditor = User.objects.get(username="auditor")
    AccessGrant.objects.filter(grantee=auditor).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(auditor)
    expired = client.get(reverse("portal"))
    assert expired.status_code == 200
    assert b"None of your grants is live now" in expired.content and b"Priya Govender" in expired.content
    client.force_login(User.objects.get(username="reporter"))
    none = client.get(reverse("portal"))
    assert none.status_code == 200
    assert b"You have no grant yet" in none.content and b"admin@kimberlite-ridge.example" in none.content
