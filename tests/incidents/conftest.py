"""Fixtures for incident tests: the demo mine and a small category tree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core import lifecycle
from incidents.core.lifecycle import create_incident
from incidents.core.services import incident_workflows
from incidents.demo.builder import build_demo_tenant
from incidents.models import Category
from incidents.work.services import execution as work
from iwms.models import User
from organogram.models import Position


@pytest.fixture
def mine(db):
    return build_demo_tenant(password="pw-demo-12345")


@pytest.fixture
def fall_of_ground(mine):
    """From the Diamond Mining template the demo mine loads."""
    return Category.objects.get(organisation=mine, code="SAF.GEO.FOG")


@pytest.fixture
def people(mine):
    return {u.username: u for u in User.objects.filter(organisation=mine)}


@pytest.fixture
def make_incident(mine, fall_of_ground, people):
    def make(**overrides):
        fields = dict(
            tenant=mine,
            kind=IncidentKind.INCIDENT,
            source=Source.MANUAL,
            category=fall_of_ground,
            title="Fall of ground at Shaft 2, level 8",
            narrative="A slab fell from the hanging wall near the "
            "loading box; nobody was injured and the area was barricaded.",
            location="Shaft 2, level 8",
            severity=Severity.SEV2,
            risk_level=RiskLevel.HIGH,
            time_sensitivity=TimeSensitivity.URGENT,
            occurred_at=timezone.now() - timedelta(minutes=20),
            owner=people["depthead"],
            owner_position=Position.objects.get(code="mining-manager"),
            responsible=people["responsible"],
            reporter=people["reporter"],
        )
        fields.update(overrides)
        return create_incident(**fields)

    return make


@pytest.fixture
def acknowledged(make_incident, people):
    incident = make_incident(
        narrative="At 09:40 a slab of about half a metre fell from the hanging wall next to the loading box "
        "at Shaft 2, level 8. The crew of four was at the waiting place; nobody was injured and the "
        "area was barricaded at once."
    )
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


@pytest.fixture
def worked(acknowledged):
    """A fall-of-ground incident whose mandatory steps are all done properly."""
    from tests.incidents.test_review_loop import work_through

    work_through(acknowledged)
    return acknowledged


@pytest.fixture
def pending(make_incident, people):
    """Builds fall-of-ground incidents worked properly, through the services, to pending closure."""
    from incidents.choices import IncidentStatus
    from incidents.core import lifecycle
    from tests.incidents.test_review_loop import complete_and_review, own_account, work_through
    from workflows.models import Review

    def build(**overrides):
        incident = make_incident(**overrides)
        incident_workflows.start_incident_workflow(incident=incident)
        incident = lifecycle.acknowledge_incident(incident=incident, actor=incident.responsible)
        incident = work.correct_account(
            incident=incident,
            actor=incident.responsible,
            narrative=own_account(incident),
            location=incident.location,
            reason="Its own account before completing.",
        )
        work_through(incident)
        outcome = complete_and_review(incident, incident.responsible)
        assert outcome.status == IncidentStatus.PENDING_CLOSURE, Review.objects.filter().last().findings
        return outcome

    return build
