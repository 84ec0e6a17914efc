"""A small clean pack that each rule test breaks in one way: a fall of ground at Shaft 2 Level 14
with a make-safe step, a statement step and an optional step."""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflows.review.builders import digest, evidence


@pytest.fixture
def pack() -> dict[str, Any]:
    return {
        "incident": {
            "kind": "incident",
            "category": "SAF.GEO.FOG",
            "severity": "sev2",
            "occurred_at": "2025-03-11T10:20:00+02:00",
            "reported_at": "2025-03-11T10:45:00+02:00",
            "submitted_at": "2025-03-12T15:00:00+02:00",
            "location": "Shaft 2, Level 14, 14W32 stope",
            "narrative": (
                "At 10:20 on the day shift a slab of rock fell from the hanging wall of the 14W32 stope on Level 14 "
                "at Shaft 2 and struck winch operator Thabo Mokoena on the leg. The area was barricaded."
            ),
            "pole": [
                {"type": "person", "name": "Thabo Mokoena", "role": "injured person"},
                {"type": "person", "name": "Lerato Khumalo", "role": "witness"},
                {"type": "location", "name": "14W32 stope", "role": "place of the fall"},
            ],
        },
        "steps": [
            {
                "key": "make_safe",
                "name": "Barricade and make safe",
                "mandatory": True,
                "required_evidence": ["photo"],
                "status": "completed",
                "justification": "",
                "subworkflow_open": False,
                "evidence": [evidence("photo", "barricade photo")],
            },
            {
                "key": "statements",
                "name": "Obtain witness statements",
                "mandatory": True,
                "required_evidence": ["narrative"],
                "status": "completed",
                "justification": "",
                "subworkflow_open": False,
                "evidence": [
                    evidence(
                        "narrative",
                        "statement",
                        source="interview",
                        collector="Ayanda Zulu",
                        text="I heard the hanging wall crack and the slab came down on Mr Mokoena's leg.",
                    )
                ],
            },
            {
                "key": "union",
                "name": "Inform the union representative",
                "mandatory": False,
                "required_evidence": [],
                "status": "pending",
                "justification": "",
                "subworkflow_open": False,
                "evidence": [],
            },
        ],
        "known_hashes": [digest("another incident's photo")],
    }
