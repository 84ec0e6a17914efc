"""Triage: the recorded choice, severity and priority changes after it (a reason always, a manager
in the high-impact range), decision trees kept by custodians, breach post-mortems and the trend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.choices import ClockKind, Severity
from incidents.models import Breach, Category, Incident
from incidents.sla.services import clock_changes
from incidents.triage.models import BreachReview, DecisionTree, TriageRecord
from incidents.triage.selectors import breach_trend, breaches_to_review, requests_to_decide
from incidents.triage.services import breach_reviews, reprioritisation, trees, triage
from iwms.errors import PolicyError
from iwms.models import AuditEvent

SCORES = {"confidence": 3, "blast_radius": 2, "asset_criticality": 2, "business_impact": 2}


def _triaged(incident, people, severity=Severity.SEV3, priority="p3"):
    return triage.triage_incident(
        incident=incident,
        actor=people["responsible"],
        scores=SCORES,
        urgency=2,
        severity=severity,
        priority=priority,
        rationale="Barricaded, nobody hurt, one crew affected.",
    )


def test_triage_records_the_proposal_the_choice_and_the_rationale(make_incident, people):
    incident = make_incident(severity=Severity.SEV2)
    record = _triaged(incident, people, severity=Severity.SEV3, priority="p2")
    assert (record.proposed_severity, record.proposed_priority) == ("sev3", "p3")
    assert (record.chosen_severity, record.priority) == ("sev3", "p2") and not record.followed_proposal
    # The chosen severity went through the one severity path: the clocks follow it.
    assert Incident.objects.get(pk=incident.pk).severity == Severity.SEV3
    messages = list(AuditEvent.objects.filter(object_id=str(incident.pk)).values_list("message", flat=True))
    assert any(m.startswith("Severity SEV-2 → SEV-3: Triage: Barricaded") for m in messages)
    assert any("the matrix proposed SEV-3, P3; the triager chose away from the proposal" in m for m in messages)
    with pytest.raises(PolicyError) as again:
        _triaged(incident, people)
    assert again.value.code == "transition.not_allowed"


def test_triage_refuses_bad_input_and_outsiders(make_incident, people):
    incident = make_incident()
    with pytest.raises(PolicyError) as short:
        triage.triage_incident(
            incident=incident,
            actor=people["responsible"],
            scores=SCORES,
            urgency=2,
            severity="sev3",
            priority="p3",
            rationale="ok",
        )
    assert short.value.code == "validation.invalid" and short.value.context["field"] == "rationale"
    with pytest.raises(PolicyError) as level:
        triage.triage_incident(
            incident=incident,
            actor=people["responsible"],
            scores={**SCORES, "confidence": 7},
            urgency=2,
            severity="sev3",
            priority="p3",
            rationale="A proper rationale.",
        )
    assert level.value.context["field"] == "confidence"
    with pytest.raises(PolicyError) as outsider:
        _triaged(incident, {"responsible": people["reporter"]})
    assert outsider.value.code == "access_denied"
    assert AuditEvent.objects.filter(changes__code="access_denied", actor=people["reporter"]).exists()
    assert not TriageRecord.objects.exists()


def test_a_high_impact_severity_change_after_triage_needs_a_manager(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    _triaged(incident, people)
    with pytest.raises(PolicyError) as held:
        clock_changes.change_severity(
            incident=incident, actor=people["responsible"], severity=Severity.SEV1, reason="A second slab fell nearby."
        )
    assert held.value.code == "validation.invalid" and "manager's approval" in held.value.message
    assert AuditEvent.objects.filter(changes__code="validation.invalid", actor=people["responsible"]).exists()
    # Outside the high-impact range the responsible person changes it with a reason alone.
    clock_changes.change_severity(
        incident=incident, actor=people["responsible"], severity=Severity.SEV4, reason="Geotech found the area stable."
    )
    # A manager above the responsible person changes it directly.
    changed = clock_changes.change_severity(
        incident=incident, actor=people["supervisor"], severity=Severity.SEV1, reason="A second slab fell nearby."
    )
    assert changed.severity == Severity.SEV1


def test_an_asked_change_is_made_when_a_manager_approves_it(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    _triaged(incident, people)
    asked = reprioritisation.request_change(
        incident=incident,
        actor=people["responsible"],
        kind="severity",
        to_value="sev1",
        reason="A second slab fell nearby.",
    )
    assert list(requests_to_decide(people["supervisor"])) == [asked]
    assert list(requests_to_decide(people["responsible"])) == []
    with pytest.raises(PolicyError):
        reprioritisation.request_change(
            incident=incident,
            actor=people["responsible"],
            kind="severity",
            to_value="sev2",
            reason="Another ask while one waits.",
        )
    with pytest.raises(PolicyError) as own:
        reprioritisation.decide_request(request=asked, actor=people["responsible"], approve=True, note="")
    assert own.value.code == "access_denied"
    decided = reprioritisation.decide_request(request=asked, actor=people["supervisor"], approve=True, note="")
    assert decided.status == "approved"
    assert Incident.objects.get(pk=incident.pk).severity == Severity.SEV1
    with pytest.raises(PolicyError) as twice:
        reprioritisation.decide_request(request=asked, actor=people["depthead"], approve=True, note="")
    assert twice.value.code == "transition.not_allowed"


def test_a_rejection_says_why_and_changes_nothing(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    _triaged(incident, people)
    asked = reprioritisation.request_change(
        incident=incident,
        actor=people["responsible"],
        kind="priority",
        to_value="p1",
        reason="The loading box feeds the whole shaft.",
    )
    with pytest.raises(PolicyError) as bare:
        reprioritisation.decide_request(request=asked, actor=people["supervisor"], approve=False, note="no")
    assert bare.value.context["field"] == "note"
    reprioritisation.decide_request(
        request=asked, actor=people["supervisor"], approve=False, note="The second box carries the load."
    )
    assert TriageRecord.objects.get(incident=incident).priority == "p3"


def test_a_priority_change_needs_a_reason_and_in_the_high_range_a_manager(make_incident, people):
    incident = make_incident(severity=Severity.SEV3)
    _triaged(incident, people)
    record = reprioritisation.change_priority(
        incident=incident, actor=people["responsible"], priority="p4", reason="Scheduled for the weekend shutdown."
    )
    assert record.priority == "p4"
    with pytest.raises(PolicyError) as held:
        reprioritisation.change_priority(
            incident=incident, actor=people["responsible"], priority="p2", reason="The crew is waiting on it."
        )
    assert held.value.context["field"] == "priority"
    with pytest.raises(PolicyError) as reasonless:
        reprioritisation.change_priority(incident=incident, actor=people["supervisor"], priority="p2", reason="x")
    assert reasonless.value.context["field"] == "reason"
    assert (
        reprioritisation.change_priority(
            incident=incident, actor=people["supervisor"], priority="p2", reason="The crew is waiting on it."
        ).priority
        == "p2"
    )


def test_a_custodian_keeps_a_categorys_decision_tree(mine, fall_of_ground, people):
    source = "start: Anyone hurt?\n  yes -> on-call\n  no -> severity SEV-3\n"
    with pytest.raises(PolicyError) as refused:
        trees.save_tree(category=fall_of_ground, actor=people["responsible"], source=source)
    assert refused.value.code == "access_denied"
    with pytest.raises(PolicyError) as unreadable:
        trees.save_tree(category=fall_of_ground, actor=people["custodian"], source="start: Anyone hurt?\n  yes -> x\n")
    assert unreadable.value.context["field"] == "source" and "Line 1" in unreadable.value.message
    tree = trees.save_tree(category=fall_of_ground, actor=people["custodian"], source=source)
    assert DecisionTree.objects.get(category=fall_of_ground).source == source.strip("\n") == tree.source
    assert AuditEvent.objects.filter(object_id=str(fall_of_ground.pk), message__contains="Decision tree").exists()
    assert Category.objects.filter(decision_tree__isnull=False).count() == 1


def _breach(incident, minutes_ago=30):
    now = timezone.now()
    return Breach.objects.create(
        organisation_id=incident.organisation_id,
        incident=incident,
        clock=ClockKind.ACKNOWLEDGE,
        due_at=now - timedelta(minutes=minutes_ago + 5),
        breached_at=now - timedelta(minutes=minutes_ago),
        severity=incident.severity,
    )


def test_the_owner_reviews_a_breach_with_cause_and_corrective_actions(make_incident, people):
    incident = make_incident()
    breach = _breach(incident)
    assert list(breaches_to_review(people["depthead"])) == [breach]
    due = timezone.localdate() + timedelta(days=14)
    action = ("Second shift boss on call for level 8", people["supervisor"], due)
    with pytest.raises(PolicyError) as not_owner:
        breach_reviews.review_breach(
            breach=breach,
            actor=people["responsible"],
            cause="capacity",
            account="The only shift boss was underground.",
            actions=[action],
        )
    assert not_owner.value.code == "access_denied"
    with pytest.raises(PolicyError) as none:
        breach_reviews.review_breach(
            breach=breach,
            actor=people["depthead"],
            cause="capacity",
            account="The only shift boss was underground.",
            actions=[],
        )
    assert none.value.context["field"] == "actions"
    review = breach_reviews.review_breach(
        breach=breach,
        actor=people["depthead"],
        cause="capacity",
        account="The only shift boss was underground.",
        actions=[action],
    )
    assert [a.owner for a in review.actions.all()] == [people["supervisor"]]
    assert list(breaches_to_review(people["depthead"])) == []
    trend = breach_trend(incident.organisation_id)
    this_week = trend["rows"][-1]
    assert (this_week["breaches"], this_week["reviewed"], this_week["causes"][0]) == (1, 1, 1)
    assert this_week["bar"]["height"] == 50 and trend["totals"][0] == 1
    with pytest.raises(PolicyError) as twice:
        breach_reviews.review_breach(
            breach=breach,
            actor=people["depthead"],
            cause="other",
            account="The only shift boss was underground.",
            actions=[action],
        )
    assert twice.value.code == "transition.not_allowed" and BreachReview.objects.count() == 1
