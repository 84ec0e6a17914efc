"""SLA policies: the category's policy, else the tenant's default, else the seed defaults."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from incidents.core.deadlines import deadlines_for, policy_for
from incidents.models import Category, SlaPolicy


def test_category_policy_sets_the_incident_deadlines(make_incident, mine):
    theft = Category.objects.get(organisation=mine, code="SEC.PROD.THEFT")
    incident = make_incident(category=theft, severity="sev2")
    assert incident.ack_due_at - incident.reported_at == timedelta(minutes=10)
    assert incident.resolve_due_at - incident.reported_at == timedelta(minutes=120)
    assert incident.contain_due_at - incident.reported_at == timedelta(minutes=65)


def test_category_without_policy_uses_the_tenant_default(make_incident, fall_of_ground):
    assert policy_for(fall_of_ground).code == "mine-standard"
    incident = make_incident(severity="sev1")
    assert incident.ack_due_at - incident.reported_at == timedelta(minutes=5)
    assert incident.resolve_due_at - incident.reported_at == timedelta(hours=1)


def test_seed_defaults_apply_without_any_policy(fall_of_ground):
    SlaPolicy.objects.filter(organisation=fall_of_ground.organisation).update(is_default=False)
    assert policy_for(fall_of_ground) is None
    deadlines = deadlines_for("sev4", fall_of_ground.created_at, None)
    assert deadlines.resolve_due_at - fall_of_ground.created_at == timedelta(hours=72)


def test_resolve_must_come_after_acknowledge(mine):
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaPolicy(organisation=mine, code="broken", name="Broken", sev3_ack_minutes=600, sev3_resolve_minutes=60).save()


def test_one_default_policy_per_tenant(mine):
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaPolicy(organisation=mine, code="second", name="Second default", is_default=True).save()
