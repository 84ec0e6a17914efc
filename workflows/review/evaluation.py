"""Measuring a reviewer against labelled packs (tests/workflows/review_packs/*.json): per finding
code, how many of its findings were right (precision) and how many of the true problems it
found (recall). Shared by the accuracy test and the benchmark."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflows.choices import Verdict


@dataclass(frozen=True)
class LabelledPack:
    name: str
    pack: dict[str, Any]
    verdict: str
    codes: frozenset[str]
    note: str


def load_labelled(folder: Path) -> list[LabelledPack]:
    """Every `*.json` in the folder, sorted by name; each `{"pack", "expected": {"verdict", "codes"}, "note"}`."""
    cases = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        expected = document["expected"]
        if expected["verdict"] not in Verdict.values:
            raise ValueError(f"{path.name}: unknown verdict {expected['verdict']!r}")
        cases.append(
            LabelledPack(
                path.stem, document["pack"], expected["verdict"], frozenset(expected["codes"]), document["note"]
            )
        )
    return cases


@dataclass
class CodeScore:
    code: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        """Share of packs flagged with the code that truly have it; 0 when the code is never raised."""
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 0.0

    @property
    def recall(self) -> float:
        """Share of packs that truly have the code and were flagged with it; 0 when none has it."""
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0


@dataclass(frozen=True)
class Evaluation:
    scores: dict[str, CodeScore]
    verdicts_right: int
    packs: int
    misjudged: list[str]  # names of packs whose codes differ from the labels

    @property
    def verdict_accuracy(self) -> float:
        return self.verdicts_right / self.packs if self.packs else 0.0


def evaluate(cases: Iterable[LabelledPack], reviewer: Callable[[dict[str, Any]], Iterable[str]]) -> Evaluation:
    """Score a reviewer, a callable returning the finding codes it raises for a pack. A pack counts
    once per code however many findings of that code it has."""
    scores: dict[str, CodeScore] = {}
    right = total = 0
    misjudged = []
    for case in cases:
        raised = set(reviewer(case.pack))
        total += 1
        verdict = Verdict.CORRECTIONS_REQUIRED if raised else Verdict.SATISFIED
        right += verdict == case.verdict
        if raised != case.codes:
            misjudged.append(case.name)
        for code in raised | case.codes:
            score = scores.setdefault(code, CodeScore(code))
            if code in raised and code in case.codes:
                score.true_positives += 1
            elif code in raised:
                score.false_positives += 1
            else:
                score.false_negatives += 1
    return Evaluation(dict(sorted(scores.items())), right, total, misjudged)
