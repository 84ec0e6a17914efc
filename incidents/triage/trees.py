"""Decision trees per category (seed 004: triage decision trees), written by custodians in a
small plain-text form and walked one answer at a time:

    start: Is anyone hurt or in immediate danger?
      yes -> on-call
      no -> stopped
    stopped: Has production stopped?
      yes -> severity SEV-1
      no -> priority P3

A question line is `<id>: <question>` (the first is where the walk starts); each answer below
it, indented, is `<answer> -> <target>`, where the target is another question's id or an
outcome: `severity SEV-1`…`SEV-4`, `priority P1`…`P4`, `template <workflow template code>`, or
`on-call` ("call the on-call now"). Pure functions; errors name their line."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_NODES = 60
_QUESTION = re.compile(r"^(?P<id>[a-z0-9][a-z0-9_-]{0,39})\s*:\s*(?P<text>\S.*)$", re.IGNORECASE)
_ANSWER = re.compile(r"^\s+(?P<label>\S.*?)\s*->\s*(?P<target>\S.*)$")
_SEVERITY = re.compile(r"^severity\s+sev-?([1-4])$", re.IGNORECASE)
_PRIORITY = re.compile(r"^priority\s+p([1-4])$", re.IGNORECASE)
_TEMPLATE = re.compile(r"^template\s+([A-Za-z0-9_.-]{1,100})$")


class TreeError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"Line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Outcome:
    kind: str  # severity | priority | template | on_call
    value: str = ""

    @property
    def label(self) -> str:
        if self.kind == "severity":
            return f"Severity SEV-{self.value[-1]}"
        if self.kind == "priority":
            return f"Priority P{self.value[-1]}"
        if self.kind == "template":
            return f"Use the workflow template {self.value}"
        return "Call the on-call now"


@dataclass(frozen=True)
class Answer:
    label: str
    next_id: str = ""
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[Answer, ...]


def _outcome(target: str) -> Outcome | None:
    if target.lower() in ("on-call", "oncall", "on call"):
        return Outcome("on_call")
    if match := _SEVERITY.match(target):
        return Outcome("severity", f"sev{match.group(1)}")
    if match := _PRIORITY.match(target):
        return Outcome("priority", f"p{match.group(1)}")
    if match := _TEMPLATE.match(target):
        return Outcome("template", match.group(1))
    return None


def parse(source: str) -> dict[str, Question]:
    """The questions of `source` in order (the first is the start); `TreeError` names the line
    of the first mistake: an answer before any question, a question without answers, a target
    that is neither a question nor an outcome, a repeated id, or a loop back to an earlier question."""
    order: list[tuple[str, str, int]] = []
    answers: dict[str, list[tuple[str, str, int]]] = {}
    for number, raw in enumerate(source.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[0].isspace():
            match = _ANSWER.match(raw)
            if match is None:
                raise TreeError(number, "an answer reads `<answer> -> <question id or outcome>`.")
            if not order:
                raise TreeError(number, "an answer comes before any question.")
            answers[order[-1][0]].append((match.group("label"), match.group("target").strip(), number))
            continue
        match = _QUESTION.match(raw)
        if match is None:
            raise TreeError(number, "a question reads `<id>: <question>`, starting at the line's beginning.")
        node_id = match.group("id").lower()
        if node_id in answers:
            raise TreeError(number, f"the question id {node_id!r} is used twice.")
        order.append((node_id, match.group("text").strip(), number))
        answers[node_id] = []
    if not order:
        raise TreeError(0, "Write at least one question with its answers.")
    if len(order) > MAX_NODES:
        raise TreeError(0, f"A tree holds at most {MAX_NODES} questions.")
    tree: dict[str, Question] = {}
    for node_id, text, number in order:
        if len(answers[node_id]) < 2:
            raise TreeError(number, f"the question {node_id!r} needs at least two answers.")
        built = []
        for label, target, line in answers[node_id]:
            outcome = _outcome(target)
            if outcome is None and target.lower() not in answers:
                raise TreeError(
                    line,
                    f"{target!r} is neither a question id nor an outcome "
                    "(severity SEV-n, priority Pn, template <code>, on-call).",
                )
            built.append(Answer(label, "" if outcome else target.lower(), outcome))
        tree[node_id] = Question(node_id, text, tuple(built))
    _refuse_loops(tree, {node_id: number for node_id, _, number in order})
    return tree


def _refuse_loops(tree: dict[str, Question], lines: dict[str, int]) -> None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node_id: str) -> None:
        state[node_id] = 1
        for answer in tree[node_id].answers:
            if answer.next_id and state.get(answer.next_id) == 1:
                raise TreeError(lines[node_id], f"{node_id!r} leads back to {answer.next_id!r}: a tree has no loops.")
            if answer.next_id and answer.next_id not in state:
                visit(answer.next_id)
        state[node_id] = 2

    for node_id in tree:
        if node_id not in state:
            visit(node_id)


@dataclass(frozen=True)
class Walk:
    taken: list[tuple[str, str]]  # (question, answer) so far
    question: Question | None
    outcome: Outcome | None
    path: list[int]


def walk(tree: dict[str, Question], path: list[int]) -> Walk:
    """Follow the answers chosen (`path`, indexes) from the start; an index that does not exist
    ends the walk where it stands."""
    node = next(iter(tree.values()))
    taken: list[tuple[str, str]] = []
    followed: list[int] = []
    for index in path:
        if not 0 <= index < len(node.answers):
            break
        answer = node.answers[index]
        taken.append((node.text, answer.label))
        followed.append(index)
        if answer.outcome is not None:
            return Walk(taken, None, answer.outcome, followed)
        node = tree[answer.next_id]
    return Walk(taken, node, None, followed)


def parse_path(raw: str) -> list[int]:
    return [int(part) for part in raw.split(".") if part.isdigit()][:MAX_NODES]
