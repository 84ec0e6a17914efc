"""Walking up the organogram costs the same number of queries however deep the person sits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organogram.hierarchy import escalation_chain, supervisor_of
from tests.factories import OrgUnitFactory, PositionAssignmentFactory, PositionFactory

pytestmark = pytest.mark.django_db


def _line_of_positions(tenant, depth: int, prefix: str):
    """`depth` filled positions, each reporting to the one before; returns the holders, top first."""
    unit = OrgUnitFactory(organisation=tenant, code=f"{prefix}-unit")
    holders = []
    parent = None
    for level in range(depth):
        parent = PositionFactory(organisation=tenant, unit=unit, parent=parent, code=f"{prefix}-{level}")
        holders.append(PositionAssignmentFactory(organisation=tenant, position=parent).person)
    return holders


def test_escalation_chain_eight_levels_deep_costs_the_same_queries_as_three(tenant, django_assert_num_queries):
    shallow = _line_of_positions(tenant, 3, "shallow")
    deep = _line_of_positions(tenant, 8, "deep")
    with CaptureQueriesContext(connection) as shallow_queries:
        shallow_chain = escalation_chain(shallow[-1])
    assert [level.holder for level in shallow_chain] == shallow[-2::-1]

    with django_assert_num_queries(len(shallow_queries)):
        deep_chain = escalation_chain(deep[-1])

    assert [level.holder for level in deep_chain] == deep[-2::-1]
    assert len(shallow_queries) <= 4


def test_supervisor_of_eight_levels_deep_stays_within_the_same_budget(tenant, django_assert_max_num_queries):
    deep = _line_of_positions(tenant, 8, "deep")

    with django_assert_max_num_queries(4):
        supervisor = supervisor_of(deep[-1])

    assert supervisor.holder == deep[-2]
