"""A test per KPI on the hand-built incidents of conftest.py (A, B, C, D reported at noon on
DAY), each expected value worked out beside it; and the breakdowns and filters that narrow
them (unit subtree, severity, kind, category, period and the previous period)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.assurance import kpis
from incidents.assurance.filters import DashboardFilterForm
from incidents.assurance.rollups import rebuild
from incidents.assurance.selectors import dashboard
from incidents.choices import IncidentKind, Severity
from incidents.models import Category
from organogram.models import Position
from tests.assurance.conftest import DAY, MINUTE, at_noon


def board(mine, unit=None, **filters):
    form = DashboardFilterForm({"period": "day", "until": DAY.isoformat(), **filters}, tenant_id=mine.pk)
    return dashboard(tenant_id=mine.pk, unit=unit, scope=form.scope())


def kpi_values(mine, unit=None, **filters):
    return kpis.values(board(mine, unit, **filters).current)


EXPECTED = [
    # volume: A, B, C, D were reported on DAY.
    ("volume", 4),
    # MTTD: (30 + 10 + 60 + 20) min ÷ 4 incidents.
    ("mttd", (30 + 10 + 60 + 20) / 4),
    # MTTA: A +10, B +20, D +30 (C is not acknowledged) → 60 ÷ 3.
    ("mtta", (10 + 20 + 30) / 3),
    # Mean time to contain: only A is contained, +40 min.
    ("mttc", 40),
    # MTTR: A closed +5 h, D +3 h (B is open again after its reopen, C open) → 8 ÷ 2 hours.
    ("mttr", (5 + 3) / 2),
    # SLA breach rate: A breached, of 4 → 25 %.
    ("breach_rate", 100 * 1 / 4),
    # SLA compliance: 3 of 4 without a breach → 75 %.
    ("sla_compliance", 100 * 3 / 4),
    # Reopen rate: closed at least once = A, D (closed) and B (reopened) = 3; reopened = B → 1 ÷ 3.
    ("reopen_rate", 100 * 1 / 3),
    # Escalation rate: A and B were escalated, of 4 → 50 %.
    ("escalation_rate", 100 * 2 / 4),
    # Escalation response lag: only A's escalation was acknowledged, after 20 min.
    ("escalation_lag", 20),
]


def test_every_kpi_of_the_catalogue_has_its_worked_example():
    assert [key for key, _ in EXPECTED] == [kpi.key for kpi in kpis.CATALOGUE]


@pytest.mark.parametrize(("key", "expected"), EXPECTED, ids=[key for key, _ in EXPECTED])
def test_kpi_on_the_hand_built_incidents(mine, hand_built, key, expected):
    rebuild(tenant_id=mine.pk)
    assert kpi_values(mine)[key] == pytest.approx(expected)


def test_kpis_of_an_empty_period_are_absent_not_zero(mine, hand_built):
    rebuild(tenant_id=mine.pk)
    values = kpi_values(mine, until=(DAY - timedelta(days=3)).isoformat())
    assert values["volume"] == 0
    assert all(values[key] is None for key in ("mttd", "mtta", "mttr", "breach_rate", "reopen_rate"))


def test_by_severity_splits_the_items_and_keeps_the_seed_targets(mine, hand_built):
    rebuild(tenant_id=mine.pk)
    rows = {row.drill["severity"]: row for row in board(mine).by_severity}
    # SEV-2: A and B; MTTA (10 + 20) ÷ 2 = 15 min; breach rate 1 ÷ 2.
    assert rows[Severity.SEV2].sums["items"] == 2
    assert rows[Severity.SEV2].values["mtta"] == pytest.approx(15)
    assert rows[Severity.SEV2].values["breach_rate"] == pytest.approx(50)
    # SEV-3: C and D; only D acknowledged, +30 min; D closed after 3 h.
    assert rows[Severity.SEV3].values["mtta"] == pytest.approx(30)
    assert rows[Severity.SEV3].values["mttr"] == pytest.approx(3)
    assert rows[Severity.SEV1].sums["items"] == 0
    assert kpis.SEVERITY_TARGETS["mtta"][Severity.SEV1] == 5


def test_severity_and_kind_filters_narrow_every_kpi(mine, hand_built):
    rebuild(tenant_id=mine.pk)
    assert kpi_values(mine, severity=Severity.SEV3)["volume"] == 2
    work = kpi_values(mine, kind=IncidentKind.WORK_ACTIVITY)
    assert work["volume"] == 1 and work["mttr"] == pytest.approx(3)


def test_the_unit_dashboard_sums_its_subtree_only(mine, hand_built, report, people, units):
    plant = Position.objects.get(organisation=mine, code="plant-manager")
    report(at_noon(DAY), 5 * MINUTE, owner=people["mnaidoo"], owner_position=plant)
    rebuild(tenant_id=mine.pk)
    assert kpi_values(mine)["volume"] == 5
    assert kpi_values(mine, units["mining"])["volume"] == 4
    assert kpi_values(mine, units["plant"])["volume"] == 1
    # Underground Operations is below Mining, and owns none of them.
    assert kpi_values(mine, units["mining-ug"])["volume"] == 0
    # One row per unit just below the top, each with its subtree; the top's own row holds what
    # is owned at the top itself (nothing here). Units without incidents have no row.
    assert {row.label: row.sums["items"] for row in board(mine).by_unit} == {"Mining": 4, "Processing Plant": 1}
    assert {row.label: row.sums["items"] for row in board(mine, units["mining"]).by_unit} == {"Mining (itself)": 4}


def test_a_category_filter_takes_its_whole_subtree(mine, hand_built):
    rebuild(tenant_id=mine.pk)
    parent = Category.objects.get(organisation=mine, code="SAF.GEO")
    other = Category.objects.filter(organisation=mine, parent__isnull=True).exclude(code="SAF").first()
    assert kpi_values(mine, category=str(parent.pk))["volume"] == 4
    assert kpi_values(mine, category=str(other.pk))["volume"] == 0


def test_the_previous_period_is_the_same_length_just_before(mine, hand_built, report):
    report(at_noon(DAY - timedelta(days=1)), 5 * MINUTE)
    report(at_noon(DAY - timedelta(days=1)), 5 * MINUTE)
    rebuild(tenant_id=mine.pk)
    result = board(mine)
    assert result.current["items"] == 4 and result.previous["items"] == 2
    volume = next(row for row in result.summary if row["kpi"].key == "volume")
    assert (volume["now"], volume["before"]) == (4, 2)
    mttd = next(row for row in result.summary if row["kpi"].key == "mttd")
    # MTTD was 5 min the day before and 30 min on DAY: lower is better, so it got worse.
    assert mttd["change"] == "worse"
