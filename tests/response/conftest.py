"""Fixtures for response tests: the demo mine adopting major-incident response."""

from __future__ import annotations

import pytest

from incidents.core.services import incident_workflows
from incidents.response.services.configuration import adopt_response
from organogram.models import Position
from tests.incidents.conftest import fall_of_ground, make_incident, mine, people  # noqa: F401


@pytest.fixture
def adopted(mine):  # noqa: F811
    return adopt_response(
        tenant=mine, actor="test", executives=list(Position.objects.filter(organisation=mine, code="gm"))
    )


@pytest.fixture
def sev1(adopted, make_incident):  # noqa: F811

    incident = make_incident(severity="sev1", title="Hoist rope failure at Shaft 2")
    incident_workflows.start_incident_workflow(incident=incident)
    return incident
