"""Automated review accuracy on the labelled packs (tests/workflows/review_packs): precision and
recall per finding code and verdict accuracy for the rules reviewer, against a naive reviewer that
only checks each completed step for its required kinds of evidence, measured in the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.results import Result
from workflows.review import review
from workflows.review.evaluation import Evaluation, evaluate, load_labelled
from workflows.review.rules import CODES

PACKS = Path(__file__).resolve().parent.parent / "tests" / "workflows" / "review_packs"


def rules_reviewer(pack: dict[str, Any]) -> set[str]:
    return {finding.code for finding in review(pack).findings}


def naive_reviewer(pack: dict[str, Any]) -> set[str]:
    """Flags a completed step that has no item of a required kind, valid or not; nothing else."""
    for step in pack["steps"]:
        kinds = {item["kind"] for item in step.get("evidence", [])}
        if step["status"] == "completed" and set(step.get("required_evidence", [])) - kinds:
            return {"evidence.missing"}
    return set()


def print_scores(rules: Evaluation, naive: Evaluation) -> None:
    header = f"{'code':<34} {'rules P':>8} {'rules R':>8} {'tp':>4} {'fp':>4} {'fn':>4}   {'naive P':>8} {'naive R':>8}"
    print(header)
    print("-" * len(header))
    for code in CODES:
        ours = rules.scores[code]
        base = naive.scores.get(code)
        base_p, base_r = (base.precision, base.recall) if base else (0.0, 0.0)
        print(
            f"{code:<34} {ours.precision:>8.2f} {ours.recall:>8.2f} {ours.true_positives:>4} "
            f"{ours.false_positives:>4} {ours.false_negatives:>4}   {base_p:>8.2f} {base_r:>8.2f}"
        )
    print(
        f"{'verdict accuracy':<34} {rules.verdict_accuracy:>8.2f} {'':>8} {'':>4} {'':>4} {'':>4}   "
        f"{naive.verdict_accuracy:>8.2f}"
    )
    if rules.misjudged:
        print(f"packs whose codes differ from their labels: {', '.join(rules.misjudged)}")
    print()


def run(*, quick: bool = False) -> list[Result]:
    cases = load_labelled(PACKS)
    rules = evaluate(cases, rules_reviewer)
    naive = evaluate(cases, naive_reviewer)
    print(f"review accuracy over {len(cases)} labelled packs")
    print_scores(rules, naive)
    note = "baseline: required kinds only"
    results = [Result("review verdict accuracy", "%", rules.verdict_accuracy * 100, naive.verdict_accuracy * 100)]
    for code in CODES:
        ours, base = rules.scores[code], naive.scores.get(code)
        results.append(
            Result(
                f"review precision {code}", "%", ours.precision * 100, base.precision * 100 if base else 0, note=note
            )
        )
        results.append(Result(f"recall {code}", "%", ours.recall * 100, base.recall * 100 if base else 0, note=note))
    return results
