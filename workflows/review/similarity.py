"""How much of one text is copied from another: word shingles (runs of three words, lower case,
punctuation ignored) and the share of a text's shingles found in a source. Explainable: the
reviewer names the source and the share, and a person can check it by reading both texts."""

from __future__ import annotations

import re
from collections.abc import Iterable

SHINGLE_WORDS = 3
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def normal_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    """The text's runs of `size` words; a text shorter than that is one shingle of its words."""
    words = normal_words(text)
    if len(words) < size:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """Shared shingles over all shingles of both texts: 1.0 for the same text."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def copied_share(text: frozenset, source: frozenset) -> float:
    """Share of `text`'s shingles that also appear in `source` (containment): 1.0 when every run
    of three words in the text is in the source, however much longer the source is."""
    return len(text & source) / len(text) if text else 0.0


def most_copied(text: str, sources: Iterable[tuple[str, str]]) -> tuple[str, float]:
    """The (label, share) of the source the text copies most from; ("", 0.0) when none shares a shingle."""
    own = shingles(text)
    best = ("", 0.0)
    for label, source in sources:
        share = copied_share(own, shingles(source))
        if share > best[1]:
            best = (label, share)
    return best
