"""Industry category templates: shipped as data, realistic, at least three levels, loadable
per tenant, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.choices import RiskLevel, Severity
from incidents.intake.services.categories import available_templates, load_industry_template, read_template
from incidents.models import Category
from iwms.errors import PolicyError
from iwms.models import AuditEvent

TEMPLATES = ["diamond_mining", "diamond_selling", "it_service_management", "security_operations"]
DEMO_WORKFLOWS = {
    "fall_of_ground",
    "vehicle_pedestrian",
    "diamond_theft_suspicion",
    "access_control_breach",
    "hazardous_chemical_spill",
    "permit_working_at_height",
    "plant_process_change",
    "unplanned_it_outage",
}


def walk(nodes, parent_code=None, depth=1):
    for node in nodes:
        yield node, parent_code, depth
        yield from walk(node.get("children", []), node["code"], depth + 1)


def test_the_four_industry_templates_ship():
    assert set(TEMPLATES) <= set(available_templates())


@pytest.mark.parametrize("key", TEMPLATES)
def test_template_is_three_levels_deep_with_valid_dotted_codes(key):
    nodes = list(walk(read_template(key)["categories"]))
    codes = [node["code"] for node, _, _ in nodes]
    assert len(codes) == len(set(codes)) >= 20
    roots = read_template(key)["categories"]
    for root in roots:
        assert max(depth for _, _, depth in walk([root])) >= 3, f"{root['code']} is shallower than three levels"
    for node, parent, _ in nodes:
        assert parent is None or node["code"].startswith(parent + "."), node["code"]
        assert node.get("default_severity", "sev3") in Severity.values
        assert node.get("default_risk", "medium") in RiskLevel.values
        if not node.get("children"):
            assert node.get("keywords"), f"leaf {node['code']} needs keywords for category proposals"


def test_diamond_mining_links_the_demo_workflows():
    linked = {node.get("workflow_template") for node, _, _ in walk(read_template("diamond_mining")["categories"])}
    assert linked >= DEMO_WORKFLOWS


@pytest.mark.django_db
def test_loading_is_idempotent_audited_and_per_tenant(tenant, other_tenant):
    first = load_industry_template(tenant=tenant, key="it_service_management")
    again = load_industry_template(tenant=tenant, key="it_service_management")
    assert first.created == 22 and first.kept == 0
    assert again.created == 0 and again.kept == 22
    assert not Category.objects.for_tenant(other_tenant).exists()
    leaf = Category.objects.get(organisation=tenant, code="INC.AVAIL.OUTAGE")
    assert leaf.parent.code == "INC.AVAIL" and leaf.parent.parent.code == "INC"
    assert leaf.workflow_template_code == "unplanned_it_outage"
    assert AuditEvent.objects.filter(organisation=tenant, object_type="incidents.category").count() == 2


@pytest.mark.django_db
def test_unknown_template_is_refused_with_the_choices(tenant):
    with pytest.raises(PolicyError) as refused:
        load_industry_template(tenant=tenant, key="gold_mining")
    assert "diamond_mining" in refused.value.message


@pytest.mark.django_db
def test_command_loads_and_lists_templates(tenant):
    out = StringIO()
    call_command("load_category_template", "security_operations", tenant=tenant.slug, stdout=out)
    assert "22 categories created" in out.getvalue()
    listing = StringIO()
    call_command("load_category_template", list=True, stdout=listing)
    assert "Security Operations" in listing.getvalue()
    with pytest.raises(CommandError, match="no tenant"):
        call_command("load_category_template", "security_operations", tenant="nope", stdout=StringIO())


@pytest.mark.django_db
def test_demo_mine_uses_diamond_mining_with_the_sheq_custodian():
    call_command("seed_demo", stdout=StringIO())
    fog = Category.objects.get(organisation__slug="kimberlite-ridge", code="SAF.GEO.FOG")
    assert fog.industry_template == "diamond_mining"
    assert fog.custodian_position.code == "sheq-custodian"
    assert Category.objects.filter(organisation__slug="karoo-traders", code="PRD.CUST.VAR").exists()
