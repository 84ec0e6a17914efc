"""Optional second opinion from an OpenAI-compatible chat endpoint (standard library only). The
model may add findings the rules cannot see; its reply is checked against a strict schema, and
any failure leaves the rules' result untouched (engine.review records why)."""

from __future__ import annotations

import http.client
import json
import re
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from workflows.review.pack import Pack
from workflows.review.result import Finding

CODE_PATTERN = re.compile(r"^[a-z_]+\.[a-z_]+$")
MAX_MESSAGE_CHARS = 500
MAX_FINDINGS = 50
MAX_REPLY_BYTES = 1_000_000
_FENCED = re.compile(r"```(?:json)?\s*(?P<body>.*?)```", re.DOTALL | re.IGNORECASE)

INSTRUCTIONS = """You review the evidence of a completed incident workflow at a mine before it is closed.
Rule-based checks have already run; their findings are listed. Report only further problems that a
careful reviewer would ask the responsible person to correct: contradictions between the narrative,
the evidence texts and the POLE entities, evidence that does not show what its step requires, or
missing facts. Do not repeat the rule findings. Reply with JSON only, exactly of this form:
{"findings": [{"code": "<area>.<problem>", "step": "<step key or null>", "message": "<what is wrong and what
to do>"}]}
Codes are lower case, e.g. "evidence.irrelevant" or "narrative.contradiction". Messages are plain
language, at most 400 characters, and end with the action that resolves the problem. Reply
{"findings": []} when there is nothing to add."""


class LLMError(Exception):
    """The model could not be asked, or its answer could not be trusted."""


def parse_reply(content: str, step_keys: Iterable[str]) -> list[Finding]:
    """The findings of a model's reply, or LLMError naming the first way it breaks the schema."""
    fenced = _FENCED.search(content)
    body = fenced["body"] if fenced else content
    try:
        reply = json.loads(body.strip())
    except ValueError as error:
        raise LLMError(f"reply is not valid JSON: {error}") from error
    if not isinstance(reply, dict) or not isinstance(reply.get("findings"), list):
        raise LLMError("reply is not an object with a 'findings' list")
    if len(reply["findings"]) > MAX_FINDINGS:
        raise LLMError(f"reply has more than {MAX_FINDINGS} findings")
    keys = set(step_keys)
    findings = []
    for index, item in enumerate(reply["findings"]):
        where = f"findings[{index}]"
        if not isinstance(item, dict) or not {"code", "step", "message"} <= item.keys():
            raise LLMError(f"{where}: expected an object with code, step and message")
        code, step, message = item["code"], item["step"], item["message"]
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            raise LLMError(f"{where}.code: {code!r} does not match {CODE_PATTERN.pattern}")
        if step is not None and (not isinstance(step, str) or step not in keys):
            raise LLMError(f"{where}.step: {step!r} is not a step of the pack")
        if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE_CHARS:
            raise LLMError(f"{where}.message: expected 1 to {MAX_MESSAGE_CHARS} characters")
        findings.append(Finding(code, step, message.strip()))
    return findings


@dataclass(frozen=True)
class LLMReviewer:
    url: str  # the base URL; requests go to {url}/chat/completions
    model: str
    key: str = ""
    timeout: float = 20.0

    @classmethod
    def from_settings(cls) -> LLMReviewer | None:
        """The reviewer configured by IWMS_REVIEW_LLM_*, or None when no URL is set."""
        url = getattr(settings, "IWMS_REVIEW_LLM_URL", "")
        if not url:
            return None
        return cls(
            url=url,
            model=getattr(settings, "IWMS_REVIEW_LLM_MODEL", ""),
            key=getattr(settings, "IWMS_REVIEW_LLM_KEY", ""),
            timeout=float(getattr(settings, "IWMS_REVIEW_LLM_TIMEOUT", 20)),
        )

    @property
    def name(self) -> str:
        return f"llm:{self.model or 'default'}"

    def messages(self, raw_pack: Mapping[str, Any], rule_findings: Iterable[Finding]) -> list[dict[str, str]]:
        # The tenant's other incidents' texts are for the rules' copy check, not for the model.
        pack = {key: value for key, value in raw_pack.items() if key != "other_texts"}
        question = {"pack": pack, "rule_findings": [finding.as_dict() for finding in rule_findings]}
        return [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": json.dumps(question, sort_keys=True, ensure_ascii=False)},
        ]

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The text of the model's reply; LLMError for anything but a well-formed answer."""
        endpoint = self.url.rstrip("/") + "/chat/completions"
        if not endpoint.startswith(("http://", "https://")):
            raise LLMError(f"review model URL must be http(s), got {self.url!r}")
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        # The scheme is checked above: only http(s) reaches urlopen.
        request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(MAX_REPLY_BYTES + 1)
        except (OSError, http.client.HTTPException) as error:
            raise LLMError(f"review model request failed: {error}") from error
        if len(raw) > MAX_REPLY_BYTES:
            raise LLMError(f"review model reply exceeds {MAX_REPLY_BYTES} bytes")
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise LLMError(f"review model reply is not a chat completion: {error!r}") from error
        if not isinstance(content, str):
            raise LLMError("review model reply has no text content")
        return content

    def findings(self, pack: Pack, raw_pack: Mapping[str, Any], rule_findings: list[Finding]) -> list[Finding]:
        return parse_reply(self.complete(self.messages(raw_pack, rule_findings)), pack.step_keys)
