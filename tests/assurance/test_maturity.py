"""The maturity score: its formula worked out by hand, the tenant's weights (set through the
service, audited, refused to others), what would raise it, and the roadmap export as JSON."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.assurance.maturity import level_of, maturity, weights_for
from incidents.assurance.models import MaturityWeights
from incidents.assurance.rollups import rebuild
from incidents.assurance.services import save_maturity_weights
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.assurance.conftest import DAY

DEFAULTS = {
    "breaches": 3,
    "reopens": 2,
    "escalated_to_top": 3,
    "review_overrides": 2,
    "vacant_supervisors": 1,
    "mismatches": 2,
}


def test_the_score_of_the_hand_built_sums():
    # 10 incidents, 2 breached (0.2), 4 closed once of which 1 reopened (0.25), 1 reached the top
    # (0.1). Penalty = (3 × 0.2 + 2 × 0.25 + 3 × 0.1) ÷ 13 = 1.4 ÷ 13; score = 100 × (1 − 1.4 ÷ 13).
    sums = {"items": 10, "breached": 2, "closed_once": 4, "reopened": 1, "sig_top": 1}
    score = maturity(sums, DEFAULTS)
    assert score.score == round(100 * (1 - 1.4 / 13)) == 89
    assert (score.level, score.level_name) == (4, "managed")
    # The breaches cost most: 100 × 3 × 0.2 ÷ 13 = 4.6 points; halving them wins back 2.3.
    assert score.raise_by.key == "breaches"
    assert score.raise_by.half_points == pytest.approx(100 * 3 * 0.2 / 13 / 2)


def test_levels_and_no_score_without_incidents():
    assert [level_of(s)[0] for s in (100, 90, 89, 75, 55, 35, 34, 0)] == [5, 5, 4, 4, 3, 2, 1, 1]
    empty = maturity({"items": 0}, DEFAULTS)
    assert empty.score is None and empty.raise_by is None


def test_clean_record_scores_100_with_nothing_to_raise():
    score = maturity({"items": 5, "closed_once": 5}, DEFAULTS)
    assert (score.score, score.level, score.raise_by) == (100, 5, None)


def test_tenant_admin_sets_weights_through_the_service_and_it_is_audited(mine, people):
    row = MaturityWeights(organisation=mine, breaches=10)
    save_maturity_weights(obj=row, actor=people["admin"])
    assert weights_for(mine.pk)["breaches"] == 10
    assert AuditEvent.objects.filter(organisation=mine, object_type="assurance.maturityweights").exists()
    with pytest.raises(PolicyError) as refused:
        save_maturity_weights(obj=MaturityWeights.objects.get(organisation=mine), actor=people["depthead"])
    assert refused.value.code == "access_denied"
    assert AuditEvent.objects.filter(organisation=mine, action="access_denied", actor=people["depthead"]).exists()


def test_weights_change_the_score_of_the_dashboard(mine, people, hand_built):
    rebuild(tenant_id=mine.pk)
    # Hand-built: 4 incidents, 1 breached (0.25), reopen 1 of 3, top 1 of 4, mismatch 1 of 4.
    by_default = maturity(
        {"items": 4, "breached": 1, "closed_once": 3, "reopened": 1, "sig_top": 1, "sig_mismatch": 1}, DEFAULTS
    )
    save_maturity_weights(
        obj=MaturityWeights(
            organisation=mine,
            breaches=1,
            reopens=0,
            escalated_to_top=0,
            review_overrides=0,
            vacant_supervisors=0,
            mismatches=0,
        ),
        actor=people["admin"],
    )
    # Only breaches weigh now: score = 100 × (1 − 0.25) = 75.
    assert by_default.score != 75
    assert maturity({"items": 4, "breached": 1}, weights_for(mine.pk)).score == 75


def test_the_roadmap_export_is_json_with_the_dashboards_figures(client, mine, people, units, hand_built):
    rebuild(tenant_id=mine.pk)
    client.force_login(people["depthead"])
    url = reverse("assurance_unit_roadmap", kwargs={"unit_id": units["mining"].pk})
    data = client.get(url, {"period": "day", "until": DAY.isoformat()}).json()
    assert data["format"] == "iwms.maturity-roadmap/1" and data["unit"]["code"] == "mining"
    assert data["incidents"] == 4 and data["weights"] == DEFAULTS
    expected = maturity(
        {"items": 4, "breached": 1, "closed_once": 3, "reopened": 1, "sig_top": 1, "sig_mismatch": 1}, DEFAULTS
    )
    assert data["score"] == expected.score and data["raise_by"]["signal"] == expected.raise_by.key
    assert [u["name"] for u in data["units"]] == ["Mining (itself)"]
    assert len(data["trend"]) == 6 and data["trend"][-1]["incidents"] == 4
    client.force_login(people["reporter"])
    assert client.get(url).status_code == 403
