"""The close-out summary of an incident's workflow — the narrative its close-out step holds —
and the closure checklist drafted from it for the decider to check and edit.

The draft is deterministic and explainable: a summary written with the checklist's headings
("Root cause: …") is split at them; otherwise each sentence goes to the first item whose
words it uses (a sentence naming a cause to the root cause, one about what remains to the
residual risk, …), and the opening sentences, which say what happened, to the impact. An item
the summary says nothing about stays empty: the decider writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflows.choices import EvidenceKind
from workflows.models import Step

CHECKLIST_ITEMS = ("impact", "root_cause", "actions_taken", "residual_risk", "preventive_tasks")

# Headings a writer may use for each item, lower case, without the colon.
HEADINGS = {
    "impact": ("impact", "effect", "who was affected", "consequences", "what happened"),
    "root_cause": ("root cause", "cause", "causes", "why it happened"),
    "actions_taken": ("actions taken", "actions", "what was done", "corrective actions", "response"),
    "residual_risk": ("residual risk", "remaining risk", "risk remaining"),
    "preventive_tasks": ("preventive tasks", "preventive actions", "prevention", "preventive measures", "follow-up"),
}
_HEADING = re.compile(
    r"(?:^|(?<=[\n.;]))\s*(?P<label>"
    + "|".join(sorted((re.escape(h) for hs in HEADINGS.values() for h in hs), key=len, reverse=True))
    + r")\s*:\s*",
    re.IGNORECASE,
)

# Words that send an unlabelled sentence to an item, in the order the items are tried: a
# sentence about what remains is residual risk even when it names the support installed.
CUES = (
    ("residual_risk", ("residual", "remaining risk", "risk remains", "risk is now", "remains low", "remains high")),
    ("root_cause", ("root cause", "caused by", "cause was", "because", "due to", "the cause", "failure mechanism")),
    (
        "preventive_tasks",
        (
            "prevent",
            "will be",
            "to be ",
            "training",
            "retrain",
            "standard",
            "owner",
            "owned by",
            "from now",
            "in future",
        ),
    ),
    (
        "actions_taken",
        (
            "installed",
            "barricad",
            "replaced",
            "repaired",
            "isolated",
            "scaled",
            "cleaned",
            "removed",
            "restored",
            "was done",
            "were taken",
            "signed off",
        ),
    ),
    ("impact", ("injur", "nobody", "no one", "hurt", "affected", "damage", "lost", "downtime", "production")),
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“])")


@dataclass(frozen=True)
class CloseOut:
    """The close-out step, its summary and the checklist drafted from it (`filled`: the items
    the summary gave text to)."""

    step: Step | None
    summary: str
    draft: dict[str, str] = field(default_factory=dict)

    @property
    def filled(self) -> list[str]:
        return [name for name in CHECKLIST_ITEMS if self.draft.get(name)]


def closeout_step(steps: list[Step]) -> Step | None:
    """The workflow's close-out step: the last one whose key starts with 'close' (close_out,
    close_permit), else the last step that asks for a narrative."""
    closing = [s for s in steps if s.key.startswith("close")]
    if closing:
        return closing[-1]
    narrative = [s for s in steps if EvidenceKind.NARRATIVE in (s.required_evidence or [])]
    return narrative[-1] if narrative else None


def summary_of(step: Step | None) -> str:
    """The valid narrative evidence of the step, oldest first (evidence prefetched or not)."""
    if step is None:
        return ""
    items = sorted(step.evidence.all(), key=lambda e: (e.created_at, e.pk))
    texts = [e.text.strip() for e in items if e.is_valid and e.kind == EvidenceKind.NARRATIVE and e.text.strip()]
    return "\n\n".join(texts)


def _by_headings(summary: str) -> dict[str, str]:
    matches = list(_HEADING.finditer(summary))
    if len(matches) < 2:  # one colon in prose is not a structure
        return {}
    draft: dict[str, list[str]] = {}
    for index, match in enumerate(matches):
        label = match.group("label").lower()
        name = next(item for item, labels in HEADINGS.items() if label in labels)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(summary)
        text = summary[match.end() : end].strip()
        if text:
            draft.setdefault(name, []).append(text)
    opening = summary[: matches[0].start()].strip()
    if opening and "impact" not in draft:
        draft["impact"] = [opening]
    return {name: " ".join(texts) for name, texts in draft.items()}


def _by_cues(summary: str) -> dict[str, str]:
    draft: dict[str, list[str]] = {}
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(summary.split())) if s.strip()]
    for index, sentence in enumerate(sentences):
        lower = sentence.lower()
        name = next((item for item, words in CUES if any(word in lower for word in words)), None)
        if name is None and index == 0:
            name = "impact"  # the opening sentence says what happened
        if name is not None:
            draft.setdefault(name, []).append(sentence)
    return {name: " ".join(texts) for name, texts in draft.items()}


def draft_checklist(summary: str) -> dict[str, str]:
    """The closure checklist items the summary gives text to (see the module docstring)."""
    summary = summary.strip()
    if not summary:
        return {}
    return _by_headings(summary) or _by_cues(summary)


def close_out(steps: list[Step]) -> CloseOut:
    step = closeout_step(steps)
    summary = summary_of(step)
    return CloseOut(step=step, summary=summary, draft=draft_checklist(summary))
