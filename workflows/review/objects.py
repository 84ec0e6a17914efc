"""Objects of the incident named in free text by their fleet or asset number ("HT-07", "LHD 14",
"CV 3"), against the objects the POLE entities list. Conservative by design: an identifier only
contradicts the POLE entities when they list an object with the same prefix and another number
(the statement says "HT-09", the POLE entities list "Haul truck HT-07"); an identifier of a kind
the POLE entities do not number is left alone."""

from __future__ import annotations

import re
from collections.abc import Iterable

from workflows.review.pack import PoleEntity

# Two to four capitals, an optional hyphen or space, a number: not part of a longer reference
# ("KRD-2026-0412", "INC-2026-000123").
_IDENTIFIER = re.compile(r"(?<![\w-])(?P<prefix>[A-Z]{2,4})[- ]?(?P<number>\d{1,4}[A-Z]?)(?![\w]|-\d)")


def identifiers(text: str) -> list[tuple[str, str]]:
    """(prefix, number) of every asset identifier in the text, in order, without repeats."""
    found = [(m["prefix"], m["number"].lstrip("0") or "0") for m in _IDENTIFIER.finditer(text)]
    return list(dict.fromkeys(found))


def contradicting_objects(text: str, pole: Iterable[PoleEntity]) -> list[str]:
    """Identifiers the text names whose prefix the POLE objects use with other numbers only."""
    listed: dict[str, set[str]] = {}
    for entity in pole:
        if entity.type == "object":
            for prefix, number in identifiers(entity.name):
                listed.setdefault(prefix, set()).add(number)
    return [
        f"{prefix}-{number}"
        for prefix, number in identifiers(text)
        if prefix in listed and number not in listed[prefix]
    ]
