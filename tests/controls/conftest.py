"""The incident fixtures (the demo mine) and two incidents to merge or split."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import Incident, PoleEntity
from tests.incidents.conftest import fall_of_ground, make_incident, mine, pending, people  # noqa: F401


def with_poles(incident: Incident, *names: str) -> Incident:
    for name in names:
        PoleEntity.objects.create(organisation=incident.organisation, incident=incident, type="object", name=name)
    return incident


@pytest.fixture
def pair(make_incident, people):  # noqa: F811
    """Two reports of one fall of ground: the earlier one (to be merged) and the primary."""
    earlier = make_incident(title="Rock fall at the loading box")
    Incident.objects.filter(pk=earlier.pk).update(reported_at=timezone.now() - timedelta(hours=3))
    earlier = Incident.objects.get(pk=earlier.pk)
    primary = make_incident()
    for incident in (earlier, primary):
        incident_workflows.start_incident_workflow(incident=incident)
    earlier = lifecycle.acknowledge_incident(incident=earlier, actor=people["responsible"])
    primary = lifecycle.acknowledge_incident(incident=primary, actor=people["responsible"])
    return with_poles(primary, "Loading box"), with_poles(earlier, "Scaling bar", "Barricade tape")
