"""The triage matrix's proposal and the decision-tree language: pure functions, no database."""

from __future__ import annotations

import pytest

from incidents.triage.matrix import default_grid, propose
from incidents.triage.trees import TreeError, parse, parse_path, walk

SCORES = {"confidence": 3, "blast_radius": 2, "asset_criticality": 3, "business_impact": 1}


def test_the_highest_impact_dimension_sets_the_severity():
    proposal = propose(SCORES, 2, grid=None)
    assert (proposal.impact, proposal.severity, proposal.priority) == (3, "sev2", "p2")
    assert "asset criticality" in proposal.reasons[0]


def test_an_unconfirmed_report_is_proposed_one_lower_except_at_the_highest_impact():
    assert propose({**SCORES, "confidence": 1}, 2, grid=None).severity == "sev3"
    worst = propose({**SCORES, "confidence": 1, "business_impact": 4}, 2, grid=None)
    assert worst.severity == "sev1" and "precaution" in worst.reasons[1]


def test_an_it_tenant_takes_priority_from_impact_and_urgency():
    grid = default_grid()
    assert propose(SCORES, 4, grid=grid).priority == "p1"  # impact 3 + urgency 4
    assert propose(SCORES, 1, grid=grid).priority == "p3"
    assert propose(SCORES, 1, grid={**grid, "3,1": "p2"}).priority == "p2"  # the tenant's own cell


TREE = """start: Is anyone hurt?
  yes -> on-call
  no -> stopped
stopped: Has production stopped?
  yes -> severity SEV-1
  no -> priority P3
"""


def test_a_tree_is_walked_answer_by_answer_to_an_outcome():
    tree = parse(TREE)
    assert walk(tree, []).question.text == "Is anyone hurt?"
    assert walk(tree, [0]).outcome.label == "Call the on-call now"
    done = walk(tree, parse_path("1.0"))
    assert done.outcome.kind == "severity" and done.outcome.value == "sev1"
    assert done.taken == [("Is anyone hurt?", "no"), ("Has production stopped?", "yes")]
    assert walk(tree, [1, 9]).question.id == "stopped"  # a made-up index stops where it stands


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("  yes -> on-call\n", "Line 1: an answer comes before any question."),
        ("start: Hurt?\n  yes -> on-call\n", "Line 1: the question 'start' needs at least two answers."),
        ("start: Hurt?\n  yes -> on-call\n  no -> nowhere\n", "Line 3: 'nowhere' is neither a question id"),
        ("a: A?\n  y -> b\n  n -> on-call\nb: B?\n  y -> a\n  n -> on-call\n", "leads back to 'a'"),
        ("a: A?\n  y -> on-call\n  n -> on-call\na: again?\n", "Line 4: the question id 'a' is used twice."),
    ],
)
def test_a_tree_that_does_not_read_names_its_line(source, message):
    with pytest.raises(TreeError) as refused:
        parse(source)
    assert message in str(refused.value)
