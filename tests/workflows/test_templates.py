"""The shipped workflow templates and their loader."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import OrganisationFactory
from workflows.choices import EvidenceKind
from workflows.models import WorkflowTemplate
from workflows.services.templates import library_codes, read_library_template

DEMO_CATEGORY_TEMPLATES = {
    "fall_of_ground",
    "vehicle_pedestrian",
    "diamond_theft_suspicion",
    "access_control_breach",
    "hazardous_chemical_spill",
    "permit_working_at_height",
    "plant_process_change",
    "unplanned_it_outage",
}


def test_library_ships_every_demo_category_template_and_a_fallback():
    assert DEMO_CATEGORY_TEMPLATES | {"general_incident"} <= set(library_codes())


@pytest.mark.parametrize("code", library_codes())
def test_shipped_template_is_well_formed(code):
    spec = read_library_template(code)
    steps = spec["steps"]
    assert len(steps) >= 5
    assert any(not s["mandatory"] for s in steps)
    assert all(set(s["required_evidence"]) <= set(EvidenceKind.values) for s in steps)
    offsets = [s["due_offset_hours"] for s in steps]
    assert offsets == sorted(offsets)
    assert EvidenceKind.NARRATIVE in steps[-1]["required_evidence"]


@pytest.mark.django_db
def test_command_installs_once_and_refuses_unknown_codes():
    tenant = OrganisationFactory(slug="loader", name="Loader Mining")
    out = io.StringIO()
    call_command("load_workflow_templates", "fall_of_ground", "--tenant", "loader", stdout=out)
    assert "fall_of_ground" in out.getvalue() and "installed" in out.getvalue()
    call_command("load_workflow_templates", "fall_of_ground", "--tenant", "loader", stdout=out)
    assert "unchanged" in out.getvalue()
    assert WorkflowTemplate.objects.filter(organisation=tenant, code="fall_of_ground").count() == 1
    with pytest.raises(CommandError, match="unknown template"):
        call_command("load_workflow_templates", "no_such", "--tenant", "loader")
    with pytest.raises(CommandError, match="no tenant"):
        call_command("load_workflow_templates", "--tenant", "nobody")
