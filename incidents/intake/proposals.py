"""Category proposals: given the free text of a report, the three most likely categories,
each with a score and the words that drove it.

A multinomial naive-Bayes model over words and word pairs. Every category starts with a
pseudo-document built from its name, its ancestors' names and its keywords (the industry
template's knowledge); the tenant's own classified incidents are added on top, so with little
history the keywords decide and with more history the tenant's language does. Pure Python
over plain data: deterministic, explainable, no external service.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

ENGINE = "iwms.naive_bayes"
VERSION = "2"

STOPWORDS = frozenset(
    (
        "a",
        "about",
        "after",
        "also",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "by",
        "during",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "my",
        "near",
        "no",
        "nobody",
        "not",
        "of",
        "on",
        "one",
        "or",
        "our",
        "she",
        "than",
        "that",
        "the",
        "their",
        "then",
        "there",
        "they",
        "this",
        "three",
        "to",
        "two",
        "very",
        "was",
        "we",
        "were",
        "when",
        "which",
        "while",
        "who",
        "will",
        "with",
    )
)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
KEYWORD_WEIGHT = 3  # a keyword counts as this many occurrences in the category's pseudo-document


def tokens(text: str) -> list[str]:
    """Lower-case words without stop words, plus adjacent word pairs ("hanging wall")."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name: str
    keywords: tuple[str, ...] = ()
    ancestors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Proposal:
    code: str
    name: str
    score: float  # posterior among the candidates, scaled by the share of the words it knows; 0..1
    words: tuple[str, ...]  # the words behind it; none: a fallback with no claim at all

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "score": round(self.score, 4), "words": list(self.words)}


@dataclass
class CategoryProposer:
    """Train with `fit`, then `propose`. Construct per tenant; holds no global state.

    Each category's word distribution interpolates three sources (Jelinek–Mercer smoothing):
    the tenant's history for that category, the category's keyword pseudo-document and the
    background frequency of the word. History gains weight as examples accumulate but never
    silences the keywords, so new wording still finds its category.
    """

    categories: dict[str, CategoryInfo] = field(default_factory=dict)
    history_counts: dict[str, Counter] = field(default_factory=dict)
    keyword_counts: dict[str, Counter] = field(default_factory=dict)
    background: Counter = field(default_factory=Counter)
    examples: Counter = field(default_factory=Counter)
    history_size: int = 0

    BACKGROUND_WEIGHT = 0.1
    MAX_HISTORY_SHARE = 0.3
    HISTORY_HALF_WEIGHT_AT = 5  # examples at which history reaches half its maximum share

    def fit(self, categories: Iterable[CategoryInfo], history: Iterable[tuple[str, str]] = ()) -> CategoryProposer:
        self.categories = {c.code: c for c in categories}
        self.history_counts = defaultdict(Counter)
        self.keyword_counts = defaultdict(Counter)
        for info in self.categories.values():
            self.keyword_counts[info.code].update(tokens(" ".join([info.name, *info.ancestors])))
            for keyword in info.keywords:
                for token in tokens(keyword):
                    self.keyword_counts[info.code][token] += KEYWORD_WEIGHT
        for text, code in history:
            if code in self.categories:
                self.history_counts[code].update(tokens(text))
                self.examples[code] += 1
                self.history_size += 1
        for counts in (*self.history_counts.values(), *self.keyword_counts.values()):
            self.background.update(counts)
        self._history_totals = {code: sum(c.values()) for code, c in self.history_counts.items()}
        self._keyword_totals = {code: sum(c.values()) or 1 for code, c in self.keyword_counts.items()}
        self._background_total = sum(self.background.values())
        return self

    def _p_background(self, token: str) -> float:
        return (self.background[token] + 1) / (self._background_total + len(self.background) + 1)

    def _p_word(self, code: str, token: str) -> float:
        n = self.examples[code]
        history_share = self.MAX_HISTORY_SHARE * n / (n + self.HISTORY_HALF_WEIGHT_AT)
        foreground = 1 - self.BACKGROUND_WEIGHT
        p_history = self.history_counts[code][token] / self._history_totals[code] if n else 0.0
        p_keywords = self.keyword_counts[code][token] / self._keyword_totals[code]
        return foreground * (
            history_share * p_history + (1 - history_share) * p_keywords
        ) + self.BACKGROUND_WEIGHT * self._p_background(token)

    def propose(self, text: str, k: int = 3) -> list[Proposal]:
        """The `k` most likely categories. A category's score is its posterior among the
        candidates times the share of the text's words the model knows at all, so a report
        whose main word is new to the tenant ("fire" where no category speaks of fire) is not
        proposed with certainty; a proposal no word supports scores 0. Words that match nothing
        still get `k` proposals: the categories most reported, with no claim."""
        if not self.categories:
            return []
        all_tokens = tokens(text)
        known = [t for t in all_tokens if t in self.background]
        if not known:
            ranked = sorted(self.categories, key=lambda c: (-self.examples[c], c))[:k]
            return [Proposal(code, self.categories[code].name, 0.0, ()) for code in ranked]
        words = {t for t in all_tokens if " " not in t}
        coverage = len({t for t in known if " " not in t}) / len(words) if words else 1.0
        total = self.history_size + len(self.categories)
        scores = {
            code: math.log((self.examples[code] + 1) / total) + sum(math.log(self._p_word(code, t)) for t in known)
            for code in self.categories
        }
        best = max(scores.values())
        normaliser = sum(math.exp(s - best) for s in scores.values())
        ranked = sorted(scores, key=lambda c: (-scores[c], c))[:k]
        proposals = []
        for code in ranked:
            drivers = self._drivers(code, known)
            score = coverage * math.exp(scores[code] - best) / normaliser if drivers else 0.0
            proposals.append(Proposal(code, self.categories[code].name, score, drivers))
        return proposals

    def _drivers(self, code: str, known: list[str], n: int = 4) -> tuple[str, ...]:
        """The words whose likelihood under this category most exceeds their average under the
        other categories: what made this category rank where it did."""
        others = [c for c in self.categories if c != code]
        if not others:
            return ()
        lift = {}
        for token in set(known):
            rest = sum(math.log(self._p_word(c, token)) for c in others) / len(others)
            lift[token] = math.log(self._p_word(code, token)) - rest
        return tuple(t for t in sorted(lift, key=lambda t: (-lift[t], t)) if lift[t] > 0.5)[:n]
