"""The one test of a not-applicable justification, used where a step is marked not applicable
(workflows.services.steps) and by the automated review (rules.unjustified_not_applicable).

Every justification must say something: not "n/a", "none", "-" or the like, and not the step's
own hint copied back. A mandatory step, or one whose template asks for it, needs a justification
of substance as well: at least MIN_CHARS characters, MIN_WORDS words and MIN_CONTENT_WORDS words
that are not filler ("not applicable to this incident" says nothing)."""

from __future__ import annotations

import re

from workflows.review.similarity import copied_share, shingles

MIN_CHARS = 30
MIN_WORDS = 5
MIN_CONTENT_WORDS = 3
# A justification whose three-word runs are at least this share of the hint's is the hint copied.
HINT_COPY_SHARE = 0.6
BOILERPLATE = {
    "n/a", "na", "n.a", "n a", "not applicable", "none", "nil", "-", "no", "nothing", "not needed", "not required",
    "not relevant", "tbd", "tba", "see above", "as above", "ok", "done", "x", "same", "as per above", "test",
    "same as hint", "see hint", "see instructions", "as per instructions", "as per hint",
}  # fmt: skip
# Words that restate "not applicable" without saying why.
FILLER = {
    "not", "applicable", "n/a", "na", "none", "nil", "no", "nothing", "this", "that", "incident", "step", "the",
    "a", "an", "to", "for", "is", "it", "was", "be", "required", "needed", "relevant", "case", "here", "in", "of",
    "as", "per", "above", "below", "see", "applies", "apply", "done", "ok", "n", "same", "does", "do", "needs",
    "hint", "instructions",
}  # fmt: skip


def justification_problem(text: str, *, hint: str = "", substantive: bool = True) -> str:
    """What is wrong with `text` as the reason a step does not apply, as a phrase that completes
    "The justification …" ("gives only 'n/a'"), or "" when it will do. `hint` is the step's
    instructions; `substantive` asks for a justification of substance, not just a reason."""
    shown = " ".join(text.split())
    normal = shown.lower().strip(" .!")
    if not normal:
        return "gives no justification"
    letters = re.sub(r"[\W_]", "", normal)
    if normal in BOILERPLATE or len(set(letters)) <= 2:
        return f"gives only '{shown}'"
    if hint and copied_share(shingles(shown), shingles(hint)) >= HINT_COPY_SHARE:
        return "repeats the step's own instructions instead of saying why they do not apply here"
    if not substantive:
        return ""
    content = [w for w in re.findall(r"[a-z0-9/'-]+", normal) if w not in FILLER]
    if len(shown) < MIN_CHARS or len(shown.split()) < MIN_WORDS or len(content) < MIN_CONTENT_WORDS:
        return (
            f"is too short to say why ('{shown}'; at least {MIN_CHARS} characters and {MIN_WORDS} words "
            "that say what makes the step not apply)"
        )
    return ""
