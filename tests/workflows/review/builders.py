"""Evidence items for the review tests: a complete item, overridden where a test breaks it."""

from __future__ import annotations

import hashlib
from typing import Any


def digest(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def evidence(kind: str, label: str, **overrides: Any) -> dict[str, Any]:
    item = {
        "kind": kind,
        "sha256": digest(label),
        "collected_at": "2025-03-11T11:00:00+02:00",
        "collector": "Lerato Khumalo",
        "source": "field_device",
        "relevance": f"{label} of the fall",
        "location": "Shaft 2, Level 14",
        "text": "",
        "invalidated": False,
    }
    item.update(overrides)
    return item
