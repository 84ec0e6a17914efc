"""The automated review of a completed workflow: the rules, then optionally a model that may only
add findings. Pure: plain data in, a result out, no database."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workflows.review.llm import LLMError, LLMReviewer
from workflows.review.pack import input_digest, parse_pack
from workflows.review.result import Finding, ReviewResult
from workflows.review.rules import ordered, rule_findings

logger = logging.getLogger(__name__)

ENGINE = "iwms-rules"
# Bump when a rule, threshold or message changes, so stored reviews say which rules judged them.
VERSION = "2.0"


def review(pack: Mapping[str, Any], *, llm: LLMReviewer | None = None, now: datetime | None = None) -> ReviewResult:
    """Judge a review pack (docs/review-pack.md). `now` stands in for the submission time when the
    pack has none. Raises PackError when the pack is malformed."""
    parsed = parse_pack(pack)
    digest = input_digest(pack)
    findings = rule_findings(parsed, now or datetime.now(UTC))
    if llm is None:
        return ReviewResult(findings, ENGINE, VERSION, digest)
    try:
        added = llm.findings(parsed, pack, findings)
    except LLMError as error:
        logger.warning("automated review: %s; the rules alone decide (pack %s)", error, digest[:12])
        return ReviewResult(findings, ENGINE, VERSION, digest, llm_error=str(error))
    said = {(finding.code, finding.step) for finding in findings}
    extra: list[Finding] = []
    for finding in added:
        # The model may add, never restate: a code already raised for the same step is the rules' to word.
        if (finding.code, finding.step) not in said:
            said.add((finding.code, finding.step))
            extra.append(finding)
    return ReviewResult(ordered(parsed, [*findings, *extra]), f"{ENGINE}+{llm.name}", VERSION, digest)
