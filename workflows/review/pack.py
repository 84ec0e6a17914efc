"""The review pack: the plain-data picture of an incident, its steps and its evidence that the
automated reviewer judges (docs/review-pack.md). Parsing validates it into frozen records and
names the JSON path of the first problem; the input digest identifies exactly what was judged."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workflows.choices import EvidenceKind, StepStatus

POLE_TYPES = ("person", "object", "location", "event")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MISSING = object()


class PackError(ValueError):
    """The pack is malformed; the message starts with the JSON path of the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class PoleEntity:
    type: str
    name: str
    role: str


@dataclass(frozen=True)
class Incident:
    kind: str
    category: str
    severity: str
    occurred_at: datetime
    reported_at: datetime
    location: str
    narrative: str
    pole: tuple[PoleEntity, ...]
    submitted_at: datetime | None


@dataclass(frozen=True)
class Evidence:
    kind: str
    sha256: str
    collected_at: datetime | None
    collector: str
    source: str
    relevance: str
    location: str
    text: str
    invalidated: bool


@dataclass(frozen=True)
class Step:
    number: int  # 1-based position in the workflow, as people count steps
    key: str
    name: str
    mandatory: bool
    required_evidence: tuple[str, ...]
    status: str
    justification: str
    subworkflow_open: bool
    evidence: tuple[Evidence, ...]
    instructions: str = ""  # the template step's hint: what to do and record
    substantive_justification: bool = False  # the template asks for a justification of substance

    @property
    def label(self) -> str:
        return f"step {self.number} '{self.name}'"

    @property
    def title(self) -> str:
        """The label at the start of a sentence."""
        return f"Step {self.number} '{self.name}'"


@dataclass(frozen=True)
class OtherText:
    """A text of another incident of the tenant (a narrative, an evidence statement), named by
    where it comes from, for the check that this incident's texts are not copied from it."""

    source: str
    text: str


@dataclass(frozen=True)
class Pack:
    incident: Incident
    steps: tuple[Step, ...]
    known_hashes: frozenset[str]
    other_texts: tuple[OtherText, ...] = ()

    @property
    def step_keys(self) -> frozenset[str]:
        return frozenset(step.key for step in self.steps)


def input_digest(raw: Any) -> str:
    """sha256 hex of the canonical JSON of the pack as given: sorted keys, compact separators,
    UTF-8 without escaping, no NaN or infinity."""
    try:
        text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise PackError("pack", f"not representable as JSON ({error})") from error
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _describe(value: Any) -> str:
    if value is _MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Reader:
    """Reads the fields of one JSON object, raising PackError with the full path."""

    def __init__(self, value: Any, path: str) -> None:
        if value is _MISSING:
            raise PackError(path, "required key is missing")
        if not isinstance(value, dict):
            raise PackError(path, f"expected an object, got {_describe(value)}")
        self.value = value
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path != "pack" else key

    def _get(self, key: str, required: bool) -> Any:
        value = self.value.get(key, _MISSING)
        if value is _MISSING and required:
            raise PackError(self.at(key), "required key is missing")
        return value

    def string(self, key: str, *, required: bool = True, nullable: bool = False) -> str:
        value = self._get(key, required)
        if value is _MISSING or (value is None and nullable):
            return ""
        if not isinstance(value, str):
            expected = "a string or null" if nullable else "a string"
            raise PackError(self.at(key), f"expected {expected}, got {_describe(value)}")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self._get(key, True)
        if value not in choices:
            raise PackError(self.at(key), f"expected one of {', '.join(choices)}; got {_describe(value)}")
        return value

    def boolean(self, key: str, *, required: bool = True) -> bool:
        value = self._get(key, required)
        if value is _MISSING:
            return False
        if not isinstance(value, bool):
            raise PackError(self.at(key), f"expected true or false, got {_describe(value)}")
        return value

    def time(self, key: str, *, required: bool = True) -> datetime | None:
        value = self._get(key, required)
        if value is _MISSING or (value is None and not required):
            return None
        return parse_time(value, self.at(key))

    def items(self, key: str, *, required: bool = True) -> list[tuple[Any, str]]:
        value = self._get(key, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            raise PackError(self.at(key), f"expected a list, got {_describe(value)}")
        return [(item, f"{self.at(key)}[{index}]") for index, item in enumerate(value)]


def parse_time(value: Any, path: str) -> datetime:
    """An ISO 8601 time; a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise PackError(path, f"expected an ISO 8601 time string, got {_describe(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise PackError(path, f"expected an ISO 8601 time, got {_describe(value)}") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _sha256(value: Any, path: str) -> str:
    if value is _MISSING or value is None or value == "":
        return ""
    if not isinstance(value, str) or not _SHA256.match(value.lower()):
        raise PackError(path, f"expected 64 hexadecimal characters, got {_describe(value)}")
    return value.lower()


def _list_of(values: list[tuple[Any, str]], parse: Callable[[Any, str], Any]) -> tuple:
    return tuple(parse(value, path) for value, path in values)


def _pole(value: Any, path: str) -> PoleEntity:
    reader = _Reader(value, path)
    return PoleEntity(
        type=reader.choice("type", POLE_TYPES),
        name=reader.string("name"),
        role=reader.string("role", required=False, nullable=True),
    )


def _evidence(value: Any, path: str) -> Evidence:
    reader = _Reader(value, path)
    return Evidence(
        kind=reader.choice("kind", tuple(EvidenceKind.values)),
        sha256=_sha256(reader.value.get("sha256", _MISSING), reader.at("sha256")),
        collected_at=reader.time("collected_at", required=False),
        collector=reader.string("collector", required=False, nullable=True),
        source=reader.string("source", required=False, nullable=True),
        relevance=reader.string("relevance", required=False, nullable=True),
        location=reader.string("location", required=False, nullable=True),
        text=reader.string("text", required=False, nullable=True),
        invalidated=reader.boolean("invalidated", required=False),
    )


def _kind(value: Any, path: str) -> str:
    if value not in EvidenceKind.values:
        raise PackError(path, f"expected one of {', '.join(EvidenceKind.values)}; got {_describe(value)}")
    return value


def _step(value: Any, path: str, number: int) -> Step:
    reader = _Reader(value, path)
    key = reader.string("key")
    if not key.strip():
        raise PackError(reader.at("key"), "expected a non-empty step key")
    return Step(
        number=number,
        key=key,
        name=reader.string("name"),
        mandatory=reader.boolean("mandatory"),
        required_evidence=tuple(dict.fromkeys(_list_of(reader.items("required_evidence", required=False), _kind))),
        status=reader.choice("status", tuple(StepStatus.values)),
        justification=reader.string("justification", required=False, nullable=True),
        subworkflow_open=reader.boolean("subworkflow_open", required=False),
        evidence=_list_of(reader.items("evidence", required=False), _evidence),
        instructions=reader.string("instructions", required=False, nullable=True),
        substantive_justification=reader.boolean("substantive_justification", required=False),
    )


def _incident(value: Any, path: str) -> Incident:
    reader = _Reader(value, path)
    return Incident(
        kind=reader.string("kind", nullable=True),
        category=reader.string("category", nullable=True),
        severity=reader.string("severity", nullable=True),
        occurred_at=reader.time("occurred_at"),
        reported_at=reader.time("reported_at"),
        location=reader.string("location"),
        narrative=reader.string("narrative"),
        pole=_list_of(reader.items("pole"), _pole),
        submitted_at=reader.time("submitted_at", required=False),
    )


def parse_pack(raw: Any) -> Pack:
    """Validate a pack (decoded JSON) into records; raise PackError naming the path of the problem."""
    reader = _Reader(raw, "pack")
    incident = _incident(reader.value.get("incident", _MISSING), "incident")
    steps: list[Step] = []
    seen: set[str] = set()
    for number, (value, path) in enumerate(reader.items("steps"), start=1):
        step = _step(value, path, number)
        if step.key in seen:
            raise PackError(f"{path}.key", f"duplicate step key {step.key!r}")
        seen.add(step.key)
        steps.append(step)
    known = frozenset(_sha256(value, path) for value, path in reader.items("known_hashes", required=False))
    others = _list_of(reader.items("other_texts", required=False), _other_text)
    return Pack(incident=incident, steps=tuple(steps), known_hashes=known - {""}, other_texts=others)


def _other_text(value: Any, path: str) -> OtherText:
    reader = _Reader(value, path)
    return OtherText(source=reader.string("source"), text=reader.string("text"))
