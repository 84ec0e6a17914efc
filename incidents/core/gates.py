"""Preconditions that apps above `incidents` add to its moves, without `incidents` importing them.

An app registers a check for a move ("acknowledge", "close") in its `AppConfig.ready`; the
move's service calls `check(move, incident)` inside its transaction, after its own policy, and
a check refuses by raising `PolicyError`. A check only reads: it never writes or notifies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MOVES = ("acknowledge", "close")

_checks: dict[str, list[Callable[[Any], None]]] = {move: [] for move in MOVES}


def register(move: str, check: Callable[[Any], None]) -> None:
    """Add `check(incident)` to `move` (once, however often the app is made ready)."""
    if move not in _checks:
        raise ValueError(f"unknown move {move!r}; one of {MOVES}")
    if check not in _checks[move]:
        _checks[move].append(check)


def check(move: str, incident: Any) -> None:
    """Run every check registered for `move` on `incident`; the first refusal propagates."""
    for registered in _checks[move]:
        registered(incident)
