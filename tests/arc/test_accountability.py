"""Accountability rules: the most specific rule names the accountable position (the owner)."""

from __future__ import annotations

import pytest

from arc.accountability import category_covers, resolve_accountable_position
from arc.services import create_accountability_rule
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from organogram.choices import UnitKind
from organogram.services import abolish_position, create_unit

pytestmark = pytest.mark.django_db


def _rule(org, unit, position, **scope):
    return create_accountability_rule(tenant=org.tenant, unit=unit, accountable_position=position, **scope)


def _owner(unit, **item):
    return resolve_accountable_position(unit=unit, **item).position


def test_a_rule_for_the_unit_itself_wins_over_one_for_its_parent_unit(org):
    _rule(org, org.mine, org.gm_position)
    _rule(org, org.mining, org.head_position)

    assert _owner(org.shaft, kind="incident", category_code="SAF.GEO.FOG") == org.head_position
    assert _owner(org.mining, kind="incident", category_code="SAF.GEO.FOG") == org.head_position
    assert _owner(org.mine, kind="incident", category_code="SAF.GEO.FOG") == org.gm_position


def test_a_rule_for_a_parent_unit_covers_the_units_below_it(org):
    _rule(org, org.mine, org.gm_position)

    resolved = resolve_accountable_position(unit=org.shaft, kind="incident", category_code="SAF.GEO")

    assert resolved.position == org.gm_position
    assert resolved.rule.unit == org.mine


def test_a_longer_category_code_wins_over_its_prefix(org):
    _rule(org, org.mining, org.gm_position, category_code="SAF")
    _rule(org, org.mining, org.head_position, category_code="SAF.GEO")

    assert _owner(org.shaft, category_code="SAF.GEO.FOG") == org.head_position
    assert _owner(org.shaft, category_code="SAF.GEO") == org.head_position
    assert _owner(org.shaft, category_code="SAF.FIRE") == org.gm_position


def test_a_category_rule_does_not_cover_a_code_that_merely_starts_with_it(org):
    _rule(org, org.mining, org.gm_position, category_code="SAF")
    _rule(org, org.mining, org.head_position, category_code="SAF.GEO")

    assert _owner(org.shaft, category_code="SAF.GEOX") == org.gm_position
    assert category_covers("SAF.GEO", "SAF.GEO.FOG") is True
    assert category_covers("SAF.GEO", "SAF.GEOX") is False
    assert category_covers("", "ANY.THING") is True


def test_a_kind_specific_rule_wins_over_an_any_kind_rule(org):
    _rule(org, org.mining, org.head_position, category_code="SAF")
    _rule(org, org.mining, org.supervisor_a_position, category_code="SAF", kind="high_risk_operation")

    assert _owner(org.shaft, kind="high_risk_operation", category_code="SAF.GEO") == org.supervisor_a_position
    assert _owner(org.shaft, kind="incident", category_code="SAF.GEO") == org.head_position


def test_the_nearer_unit_wins_before_category_length_is_compared(org):
    _rule(org, org.mine, org.gm_position, category_code="SAF.GEO")
    _rule(org, org.shaft, org.supervisor_a_position)

    assert _owner(org.shaft, category_code="SAF.GEO.FOG") == org.supervisor_a_position


def test_a_longer_category_code_wins_before_kind_is_compared(org):
    _rule(org, org.mining, org.supervisor_a_position, category_code="SAF", kind="high_risk_operation")
    _rule(org, org.mining, org.head_position, category_code="SAF.GEO")

    assert _owner(org.shaft, kind="high_risk_operation", category_code="SAF.GEO.FOG") == org.head_position
    assert _owner(org.shaft, kind="high_risk_operation", category_code="SAF.FIRE") == org.supervisor_a_position


def test_a_rule_naming_an_abolished_position_gives_way_to_the_next_rule(org):
    _rule(org, org.mine, org.gm_position)
    _rule(org, org.shaft, org.supervisor_b_position)
    abolish_position(position=org.supervisor_b_position)

    assert _owner(org.shaft, category_code="SAF.GEO") == org.gm_position


def test_without_a_covering_rule_resolution_is_refused(org):
    _rule(org, org.mining, org.head_position, category_code="SAF.GEO")
    plant = create_unit(tenant=org.tenant, code="plant", name="Plant", kind=UnitKind.DEPARTMENT, parent=org.mine)
    _rule(org, plant, org.gm_position)

    for unit, category_code in [(org.shaft, "ENV.SPILL"), (org.mine, "SAF.GEO"), (org.shaft, "")]:
        with pytest.raises(PolicyError) as refused:
            resolve_accountable_position(unit=unit, kind="incident", category_code=category_code)
        assert refused.value.code == "arc.no_accountability_rule"


def test_creating_a_rule_is_audited(org):
    rule = _rule(org, org.mining, org.head_position, category_code="SAF.GEO", kind="incident")

    event = AuditEvent.objects.get(object_type="arc.accountabilityrule", object_id=str(rule.pk))
    assert (event.action, event.changes) == (
        "create",
        {"unit": org.mining.pk, "position": org.head_position.pk, "kind": "incident", "category_code": "SAF.GEO"},
    )
