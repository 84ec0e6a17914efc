"""Similar active problems, found before a new one is raised (SOP 19: "create with dedupe of
active similar problems"). Explainable: each candidate says which signals matched."""

from __future__ import annotations

import re
from dataclasses import dataclass

from incidents.models import Category
from incidents.problems.choices import ACTIVE_STATUSES
from incidents.problems.models import Problem

MIN_SIMILARITY = 0.2
MIN_SIMILARITY_SAME_CATEGORY = 0.1
MAX_CANDIDATES = 5
CANDIDATES_READ = 200
_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "was",
        "were",
        "are",
        "has",
        "have",
        "had",
        "not",
        "but",
        "all",
        "any",
        "its",
        "into",
        "over",
        "when",
        "then",
        "than",
        "after",
        "before",
        "our",
        "their",
        "there",
        "which",
        "while",
        "about",
        "been",
        "being",
    ]
)


def words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOP}


def overlap(left: set[str], right: set[str]) -> float:
    """Jaccard overlap of two sets of words."""
    return len(left & right) / len(left | right) if left and right else 0.0


@dataclass(frozen=True)
class SimilarProblem:
    problem: Problem
    similarity: float
    reasons: tuple[str, ...]


def similar_problems(*, tenant_id: int, category: Category | None, text: str) -> list[SimilarProblem]:
    """Active problems of the tenant that read like `text`; a shared category lowers the bar."""
    mine = words(text)
    if not mine:
        return []
    active = (
        Problem.objects.for_tenant(tenant_id)
        .filter(status__in=ACTIVE_STATUSES)
        .select_related("category")
        .only("organisation_id", "reference", "title", "description", "status", "category__code", "category__name")
        .order_by("-created_at")[:CANDIDATES_READ]
    )
    found = []
    for problem in active:
        score = overlap(mine, words(f"{problem.title} {problem.description}"))
        same_category = category is not None and problem.category_id == category.pk
        if score < (MIN_SIMILARITY_SAME_CATEGORY if same_category else MIN_SIMILARITY):
            continue
        reasons = [f"{round(score * 100)}% of the words in common"]
        if same_category:
            reasons.append("same category")
        found.append(SimilarProblem(problem, score, tuple(reasons)))
    return sorted(found, key=lambda c: -c.similarity)[:MAX_CANDIDATES]
