"""What a review returns: findings, each a stable code, the step it concerns and the action the
responsible person must take, and the verdict with the engine, version and digest that let an
auditor see what judged which input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.choices import Verdict


@dataclass(frozen=True)
class Finding:
    code: str  # e.g. "evidence.missing"; stable across versions, documented in docs/review-pack.md
    step: str | None  # the step key, or None when the finding concerns the incident as a whole
    message: str  # plain language, ending with the action that resolves it

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "step": self.step, "message": self.message}


@dataclass(frozen=True)
class ReviewResult:
    findings: list[Finding]
    engine: str
    version: str
    input_digest: str
    llm_error: str | None = field(default=None, compare=False)

    @property
    def verdict(self) -> str:
        """Satisfied exactly when nothing needs correcting."""
        return Verdict.CORRECTIONS_REQUIRED.value if self.findings else Verdict.SATISFIED.value

    @property
    def codes(self) -> list[str]:
        return sorted({finding.code for finding in self.findings})

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "findings": [finding.as_dict() for finding in self.findings],
            "engine": self.engine,
            "version": self.version,
            "input_digest": self.input_digest,
        }
