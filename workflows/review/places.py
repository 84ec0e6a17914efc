"""Places of a mine named in free text ("Shaft 2", "14 Level", "Pit 1", "Gate 4A", "the recovery
plant"), and when a named place contradicts the incident's location. The patterns are listed in
docs/review-pack.md; anything else in a location is free text the reviewer does not interpret."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A numbered place: "Shaft 2", "shaft no. 2", "Level 14", "Pit 1", "Gate 4A".
_NUMBERED = re.compile(
    r"\b(?P<type>shaft|level|pit|gate)\s*(?:no\.?\s*|number\s+|#\s*)?(?P<ident>\d+[a-z]?)\b"
    r"(?!\s*(?:(?:m|mm|cm|km|metres?|meters?|t|tons?|tonnes?|kg|l|litres?|liters?|ppm|hours?|hrs?|min|minutes?)\b|%))",
    re.IGNORECASE,
)
# Mine usage puts the number first: "No. 2 Shaft", "14 Level". Capitalised only, to leave
# phrases such as "a 2 level scaffold" alone.
_NUMBER_FIRST = re.compile(r"\b(?:No\.?\s*)?(?P<ident>\d+[A-Za-z]?)\s+(?P<type>Shaft|Level)\b")
_QUALIFIED_PLANT = re.compile(r"\b(?P<ident>recovery|treatment|processing|process)\s+plant\b", re.IGNORECASE)
_PLANT = re.compile(r"(?i:\b(?:the|at|in)\s+plant\b)|\bPlant\b")
_PLANT_IDENTS = {"recovery": "recovery", "treatment": "treatment", "processing": "treatment", "process": "treatment"}
# "risk level 2", "noise level 3" are grades, not places.
_NOT_A_LEVEL = {"risk", "alert", "noise", "sound", "water", "fill", "tank", "dust", "exposure", "severity", "security"}
# A place someone moved to or from is not where the event happened: "withdrawn to Level 12".
_DIRECTIONAL = {"to", "towards", "toward", "from", "via", "past"}
# The area a place lies in: underground (through a shaft), an open pit, or a plant.
AREAS = {"shaft": "underground", "level": "underground", "pit": "open pit", "plant": "plant"}


@dataclass(frozen=True)
class Place:
    type: str  # shaft, level, pit, gate or plant
    ident: str  # "2", "14", "4A", "recovery", "treatment"; "" for a plant named without a qualifier
    text: str  # as written
    directional: bool = False

    @property
    def area(self) -> str | None:
        return AREAS.get(self.type)


def _word_before(text: str, start: int) -> str:
    words = re.findall(r"[A-Za-z]+", text[max(0, start - 40) : start])
    if words and words[-1].lower() == "the":
        words.pop()
    return words[-1].lower() if words else ""


def places_in(text: str) -> list[Place]:
    """Every place the text names, in order of appearance."""
    found: list[tuple[int, Place]] = []
    taken: list[range] = []

    def add(match: re.Match[str], type_: str, ident: str) -> None:
        span = range(match.start(), match.end())
        if any(span.start in other or other.start in span for other in taken):
            return
        before = _word_before(text, match.start())
        if type_ == "level" and before in _NOT_A_LEVEL:
            return
        taken.append(span)
        place = Place(type_, ident, match.group(0).strip(), directional=before in _DIRECTIONAL)
        found.append((match.start(), place))

    for match in _NUMBERED.finditer(text):
        add(match, match["type"].lower(), match["ident"].upper())
    for match in _NUMBER_FIRST.finditer(text):
        add(match, match["type"].lower(), match["ident"].upper())
    for match in _QUALIFIED_PLANT.finditer(text):
        add(match, "plant", _PLANT_IDENTS[match["ident"].lower()])
    for match in _PLANT.finditer(text):
        add(match, "plant", "")
    return [place for _, place in sorted(found, key=lambda pair: pair[0])]


def contradicting_places(text: str, location: str, *, compare_areas: bool = False) -> list[Place]:
    """The places named in `text` that contradict `location`.

    A place contradicts when the location names a place of the same type and none with the same
    identifier ("Shaft 3" against "Shaft 2, Level 14"). With `compare_areas`, a text that names
    only areas the location does not (a photo taken at "Recovery Plant" for an incident at
    "Shaft 2") contradicts as well. Places someone moved to or from are ignored."""
    at = places_in(location)
    idents: dict[str, set[str]] = {}
    for place in at:
        if place.ident:
            idents.setdefault(place.type, set()).add(place.ident)
    named = [place for place in places_in(text) if not place.directional]
    wrong = [place for place in named if place.ident and place.type in idents and place.ident not in idents[place.type]]
    if compare_areas:
        location_areas = {place.area for place in at if place.area}
        text_areas = {place.area for place in named if place.area}
        if location_areas and text_areas and not location_areas & text_areas:
            wrong += [place for place in named if place.area and place not in wrong]
    return wrong


_WORD = re.compile(r"[a-z0-9]+")
# Words every place description may use; sharing one of them is not sharing a place.
_GENERIC = {
    "the", "and", "at", "of", "in", "on", "near", "next", "to", "by", "from", "area", "main", "side", "north", "south",
    "east", "west", "upper", "lower", "section", "zone", "site", "mine", "no", "number",
}  # fmt: skip


def shares_nothing(text: str, locations: list[str]) -> bool:
    """Whether a place description has no named place and no distinctive word in common with any
    of `locations` (the incident's location and the POLE locations): "Main workshop" against
    "Shaft 2, Level 14, 14W32 stope". An empty description shares nothing to judge."""
    if not text.strip():
        return False
    named = {(place.type, place.ident) for place in places_in(text) if place.ident}
    words = _distinctive(text)
    for location in locations:
        if named & {(place.type, place.ident) for place in places_in(location) if place.ident}:
            return False
        if words & _distinctive(location):
            return False
    return True


def _distinctive(text: str) -> set[str]:
    """Words of a place description that can identify it: not generic, not a bare number (a
    number identifies a place only with its type, "Shaft 2", which `places_in` compares)."""
    return {word for word in _WORD.findall(text.lower()) if word not in _GENERIC and not word.isdigit()}
