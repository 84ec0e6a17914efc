"""The reviewer against the labelled packs of tests/workflows/review_packs: every verdict right,
and per finding code a precision and a recall of at least 0.9 over the whole set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from workflows.review import review
from workflows.review.evaluation import evaluate, load_labelled
from workflows.review.rules import CODES

PACKS = Path(__file__).resolve().parents[1] / "review_packs"
CASES = load_labelled(PACKS)
THRESHOLD = 0.9


def rule_codes(pack: dict) -> set[str]:
    return {finding.code for finding in review(pack).findings}


def test_the_labelled_set_is_large_and_covers_every_code():
    assert len(CASES) >= 40
    assert sum(case.verdict == "satisfied" for case in CASES) >= 8
    positives = Counter(code for case in CASES for code in case.codes)
    assert {code: positives[code] for code in CODES if positives[code] < 3} == {}
    assert set(positives) <= set(CODES)


def test_labels_agree_with_themselves():
    """A pack labelled satisfied has no codes, and one with codes needs corrections."""
    assert [c.name for c in CASES if (c.verdict == "satisfied") == bool(c.codes)] == []


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_verdict_matches_the_label(case):
    assert review(case.pack).verdict == case.verdict, case.note


def test_precision_and_recall_per_code_reach_the_threshold():
    evaluation = evaluate(CASES, rule_codes)
    below = {
        code: (round(score.precision, 3), round(score.recall, 3))
        for code, score in evaluation.scores.items()
        if score.precision < THRESHOLD or score.recall < THRESHOLD
    }
    assert below == {}
    assert set(evaluation.scores) == set(CODES)


def test_evaluation_counts_misses_and_false_alarms():
    """The scorer itself: a reviewer that only ever says 'evidence.missing' has perfect recall on
    nothing else, and its false alarms lower its precision."""
    evaluation = evaluate(CASES, lambda pack: {"evidence.missing"})
    missing = evaluation.scores["evidence.missing"]
    assert missing.recall == 1.0
    assert missing.precision == pytest.approx(sum("evidence.missing" in c.codes for c in CASES) / len(CASES))
    assert evaluation.scores["time.inconsistent"].recall == 0.0
    assert evaluation.verdict_accuracy < 1.0
