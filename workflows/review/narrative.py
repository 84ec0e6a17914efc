"""Whether an incident narrative can support closure: long enough, and saying what happened and
where in some recognisable form. When it happened is the occurrence time the incident records;
a narrative is not judged on whether it repeats it in words (issue 13: a 40-word narrative was
rejected for lacking a time word). The rule is written down in docs/review-pack.md so a
responsible person can see why a narrative was judged thin."""

from __future__ import annotations

import re
from collections.abc import Iterable

from workflows.review.places import places_in

MIN_WORDS = 20

# A word; a time or a decimal ("10:20", "3.05") is one word.
_WORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'’-]|[:.](?=\d))*")
# Past tense is how people say what happened; nouns of events count too ("a fall of ground").
_IRREGULAR_PAST = {
    "fell", "struck", "broke", "hit", "ran", "went", "saw", "found", "took", "came", "left", "got", "caught",
    "lost", "stole", "began", "made", "drove", "blew", "burst", "split", "bent", "tore", "slid", "slipped", "led",
    "gave", "told", "set", "cut", "knew", "held", "stood", "sent", "spilt", "spun", "swung", "threw", "wore",
    "brought", "bought", "kept", "met", "rose", "shook", "shut", "sank", "stuck", "undertook", "withdrew",
    "overrode", "became",
}  # fmt: skip
_NOT_PAST = {
    "need", "speed", "seed", "feed", "bleed", "breed", "proceed", "exceed", "succeed", "indeed", "embed", "hundred",
}  # fmt: skip
_EVENT_NOUNS = {
    "fall", "collapse", "collision", "spill", "leak", "breach", "theft", "outage", "fire", "injury", "failure",
    "incident", "accident", "explosion", "release", "near-miss", "misfire", "rockfall", "intrusion", "loss",
    "stoppage", "breakdown", "tailgating", "spillage", "fatality",
}  # fmt: skip
_NEAR_MISS = re.compile(r"\bnear[\s-]miss\b", re.IGNORECASE)
_GENERIC_PLACE_WORDS = {
    "area", "main", "near", "side", "between", "from", "with", "into", "onto", "north", "south", "east", "west",
    "upper", "lower", "section", "zone", "site", "mine", "the", "and",
}  # fmt: skip


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def says_what(text: str) -> bool:
    if _NEAR_MISS.search(text):
        return True
    for token in words(text):
        word = token.lower()
        if word in _IRREGULAR_PAST or word in _EVENT_NOUNS:
            return True
        if len(word) >= 5 and word.endswith("ed") and word not in _NOT_PAST:
            return True
    return False


def says_where(text: str, places: Iterable[str]) -> bool:
    """The narrative names a mine place, or a distinctive word of the incident's location or of a
    location in the POLE entities."""
    if places_in(text):
        return True
    mentioned = {word.lower() for word in words(text)}
    for place in places:
        distinctive = {w.lower() for w in words(place) if len(w) >= 4 and w.lower() not in _GENERIC_PLACE_WORDS}
        if distinctive & mentioned:
            return True
    return False


def narrative_gaps(text: str, places: Iterable[str]) -> tuple[int, list[str]]:
    """The narrative's word count and what it fails to say: 'what happened', 'where'."""
    tokens = words(text)
    missing = []
    if not says_what(text):
        missing.append("what happened")
    if not says_where(text, places):
        missing.append("where")
    return len(tokens), missing
