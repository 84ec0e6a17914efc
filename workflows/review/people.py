"""People in free text against the POLE entities: stated counts ("two workers were injured",
"three witnesses") and people named in statements ("Mr Dlamini"). Conservative by design: only
explicit numbers with matching grammatical number and titled or self-introduced names count."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from workflows.review.pack import PoleEntity

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_NUMBER_WORD = "|".join(_NUMBER_WORDS)
# A number that is not part of a time ("10:15") or a place ("Level 14 workers").
_NUM = rf"(?<![:\d])(?<!level )(?<!shaft )(?<!pit )(?<!gate )(?P<n>\d{{1,2}}|{_NUMBER_WORD})"
_PEOPLE = (
    r"(?:people|persons?|workers?|employees?|contractors?|miners?|operators?|men|man|women|woman|pedestrians?"
    r"|drivers?|(?:team|crew|staff) members?|artisans?|guards?|officers?|individuals?)"
)
_FILLER = rf"(?:(?!(?:{_NUMBER_WORD})\b)[a-z][a-z-]*\s+){{0,2}}?"
_INJURED_WORD = r"(?:injured|hurt|killed)"
_INJURED = [
    # "two underground workers were seriously injured"
    re.compile(rf"\b{_NUM}\s+{_FILLER}{_PEOPLE}\s+(?P<verb>was|were)\s+(?:[a-z]+ly\s+)?{_INJURED_WORD}\b", re.I),
    # "three contractors sustained minor injuries"
    re.compile(rf"\b{_NUM}\s+{_FILLER}{_PEOPLE}\s+(?:sustained|suffered|received)\s+(?:[a-z]+\s+)?injur", re.I),
    # "two injured workers"
    re.compile(rf"\b{_NUM}\s+injured\s+(?:[a-z-]+\s+)?{_PEOPLE}\b", re.I),
]
_NOBODY_INJURED = re.compile(
    r"\b(?:no\s+one|no-one|nobody|no\s+(?:person|people|worker|employee|contractor)s?)\s+(?:was|were)\s+"
    r"(?:[a-z]+\s+)?(?:injured|hurt)\b|\bno\s+(?:injur(?:y|ies)|casualties)\b|\bwithout\s+injury\b",
    re.I,
)
_WITNESSES = re.compile(rf"\b{_NUM}\s+(?:[a-z-]+\s+)?(?P<noun>witness(?:es)?)\b", re.I)
_SUSPECTS = re.compile(rf"\b{_NUM}\s+(?:[a-z-]+\s+)?(?P<noun>suspects?)\b", re.I)

# Which POLE people a stated count is about, by their role.
ROLE_PATTERNS = {
    "injured": re.compile(r"injur|casualt|fatal|deceased|hurt", re.I),
    "witnesses": re.compile(r"witness", re.I),
    "suspects": re.compile(r"suspect", re.I),
}

_OBJECT_OF_ACTION = re.compile(r"\b[a-z]+\s+(?:the|a|an|his|her|their)\s+$", re.I)

_TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss)\.?\s+(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)")
_SELF_INTRODUCED = re.compile(r"\b[Mm]y name is\s+(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2})")


@dataclass(frozen=True)
class CountClash:
    group: str  # injured, witnesses, suspects
    stated: tuple[int, ...]
    listed: int


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def _agrees(count: int, plural: bool) -> bool:
    """ "two workers was injured" is not a sentence this rule trusts; nor is "one witnesses"."""
    return (count == 1) != plural


def stated_counts(text: str) -> dict[str, set[int]]:
    """The counts of injured people, witnesses and suspects the text states explicitly."""
    counts: dict[str, set[int]] = {}
    for pattern in _INJURED:
        for match in pattern.finditer(text):
            count = _number(match["n"])
            verb = match.groupdict().get("verb")
            if verb is None or _agrees(count, verb.lower() == "were"):
                counts.setdefault("injured", set()).add(count)
    if _NOBODY_INJURED.search(text):
        counts.setdefault("injured", set()).add(0)
    for group, pattern in (("witnesses", _WITNESSES), ("suspects", _SUSPECTS)):
        for match in pattern.finditer(text):
            count = _number(match["n"])
            if _agrees(count, match["noun"].lower() in {"witnesses", "suspects"}):
                counts.setdefault(group, set()).add(count)
    return counts


def has_role(role: str, group: str) -> bool:
    """Whether a POLE role puts the person in the group: "injured person", "suspect (operator)",
    "pit controller, witness" do; "security officer who searched the suspect" does not, because
    there the word is the object of someone else's action."""
    for segment in re.split(r"[,;()]", role):
        for match in ROLE_PATTERNS[group].finditer(segment):
            if not _OBJECT_OF_ACTION.search(segment[: match.start()]):
                return True
    return False


def listed_count(pole: Iterable[PoleEntity], group: str) -> int:
    return sum(1 for entity in pole if entity.type == "person" and has_role(entity.role, group))


def count_clashes(text: str, pole: tuple[PoleEntity, ...]) -> list[CountClash]:
    """Groups whose POLE count is none of the counts the text states."""
    clashes = []
    for group, stated in sorted(stated_counts(text).items()):
        listed = listed_count(pole, group)
        if listed not in stated:
            clashes.append(CountClash(group, tuple(sorted(stated)), listed))
    return clashes


def _name_words(name: str) -> set[str]:
    """The words of a name, without a possessive ending ("Mokoena's" is Mokoena)."""
    return {re.sub(r"['’]s$", "", word.lower()) for word in re.findall(r"[A-Za-z'’-]{2,}", name)}


def named_people(text: str) -> list[str]:
    """People a statement names with a title ("Mr Dlamini") or who introduce themselves."""
    names = [re.sub(r"['’]s$", "", match["name"]) for match in _TITLED_NAME.finditer(text)]
    names += [match["name"] for match in _SELF_INTRODUCED.finditer(text)]
    return list(dict.fromkeys(names))


def unlisted_people(text: str, pole: tuple[PoleEntity, ...], *, exempt: Iterable[str] = ()) -> list[str]:
    """Named people with no POLE person sharing a word of their name; names in `exempt` (the
    statement's collector) are not people of the incident."""
    listed = set().union(*(_name_words(e.name) for e in pole if e.type == "person"), set())
    exempted = set().union(*(_name_words(name) for name in exempt), set())
    return [name for name in named_people(text) if not _name_words(name) & (listed | exempted)]
