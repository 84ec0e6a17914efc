"""The rules of the automated review: each looks at a parsed pack and returns findings with a
stable code and a plain-language action. docs/review-pack.md states every rule; change VERSION in
workflows/review/engine.py when a rule changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from workflows.choices import EvidenceKind, StepStatus
from workflows.review.justification import justification_problem
from workflows.review.narrative import MIN_WORDS, narrative_gaps
from workflows.review.objects import contradicting_objects
from workflows.review.pack import Evidence, Pack, Step
from workflows.review.people import count_clashes, unlisted_people
from workflows.review.places import contradicting_places, shares_nothing
from workflows.review.result import Finding
from workflows.review.similarity import most_copied, normal_words

# Kinds whose content is a file or a text, so a digest must identify it.
CONTENT_KINDS = (EvidenceKind.PHOTO, EvidenceKind.DOCUMENT, EvidenceKind.NARRATIVE, EvidenceKind.MEASUREMENT)
# Kinds observed at the scene, so their location must be the incident's: a photo, a measurement.
SCENE_KINDS = (EvidenceKind.PHOTO, EvidenceKind.MEASUREMENT)
# A text of at least this many words whose three-word runs are at least this share copied from
# one source (a step's instructions, another incident's text) is that source, not an account.
MIN_COPY_WORDS = 8
COPY_SHARE = 0.6
# Only an incident proper ("something happened") cannot be reported or evidenced before it occurred;
# planned work (a high-risk operation, a change) is raised, prepared and approved before it starts. The
# value is incidents.choices.IncidentKind.INCIDENT, which this lower layer may not import.
UNPLANNED_KIND = "incident"
# Devices' clocks and people's estimates of when something happened differ by a few minutes.
CLOCK_TOLERANCE = timedelta(minutes=10)
_OPEN_STATUSES = (StepStatus.PENDING, StepStatus.IN_PROGRESS)


def _with_article(kind: str) -> str:
    label = str(EvidenceKind(kind).label)
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


def _valid(step: Step) -> Iterable[tuple[int, Evidence]]:
    """The step's evidence that still counts, numbered as the step lists it (from 1)."""
    return ((number, item) for number, item in enumerate(step.evidence, start=1) if not item.invalidated)


def _item(step: Step, number: int, item: Evidence) -> str:
    return f"Evidence item {number} ({EvidenceKind(item.kind).label}) of {step.label}"


def _listing(names: list[str], conjunction: str) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _completed(pack: Pack) -> Iterable[Step]:
    return (step for step in pack.steps if step.status == StepStatus.COMPLETED)


def missing_evidence(pack: Pack, now: datetime) -> Iterable[Finding]:
    for step in _completed(pack):
        for kind in step.required_evidence:
            if not any(item.kind == kind for item in step.evidence):
                yield Finding(
                    "evidence.missing",
                    step.key,
                    f"{step.title} is completed without {_with_article(kind)}. "
                    f"Add {_with_article(kind)} to {step.label}.",
                )


def invalidated_evidence(pack: Pack, now: datetime) -> Iterable[Finding]:
    for step in _completed(pack):
        for kind in step.required_evidence:
            items = [item for item in step.evidence if item.kind == kind]
            if items and all(item.invalidated for item in items):
                yield Finding(
                    "evidence.invalidated",
                    step.key,
                    f"{step.title} relies on {_with_article(kind)} that was invalidated, and no valid "
                    f"{EvidenceKind(kind).label} replaces it. Add a valid {EvidenceKind(kind).label} to {step.label}.",
                )


def incomplete_provenance(pack: Pack, now: datetime) -> Iterable[Finding]:
    for step in pack.steps:
        for number, item in _valid(step):
            lacking = [
                name
                for name, present in (
                    ("collector", item.collector.strip()),
                    ("source", item.source.strip()),
                    ("collection time", item.collected_at),
                    ("relevance", item.relevance.strip()),
                    ("sha256 digest", item.sha256 or item.kind not in CONTENT_KINDS),
                )
                if not present
            ]
            if lacking:
                yield Finding(
                    "evidence.provenance_incomplete",
                    step.key,
                    f"{_item(step, number, item)} has no {_listing(lacking, 'or')} recorded. Record its "
                    f"{_listing(lacking, 'and')}, or replace it with evidence whose provenance is known.",
                )


def duplicate_evidence(pack: Pack, now: datetime) -> Iterable[Finding]:
    first_use: dict[str, Step] = {}
    for step in pack.steps:
        for number, item in _valid(step):
            if not item.sha256:
                continue
            earlier = first_use.setdefault(item.sha256, step)
            if item.sha256 in pack.known_hashes:
                where = "another incident"
            elif earlier.key != step.key:
                where = earlier.label
            else:
                continue
            yield Finding(
                "evidence.duplicate",
                step.key,
                f"{_item(step, number, item)} is the same file as evidence already used in {where} "
                f"(sha256 {item.sha256[:12]}…). Replace it with evidence collected for {step.label}.",
            )


def thin_narrative(pack: Pack, now: datetime) -> Iterable[Finding]:
    incident = pack.incident
    places = [incident.location, *(e.name for e in incident.pole if e.type == "location")]
    count, missing = narrative_gaps(incident.narrative, places)
    problems = []
    if count < MIN_WORDS:
        problems.append(f"has {count} words (at least {MIN_WORDS} are needed)")
    if missing:
        problems.append("does not say " + " or ".join(missing))
    if problems:
        yield Finding(
            "narrative.insufficient",
            None,
            f"The incident narrative {' and '.join(problems)}. Rewrite it to say what happened and where, "
            f"in at least {MIN_WORDS} words.",
        )


def inconsistent_times(pack: Pack, now: datetime) -> Iterable[Finding]:
    incident = pack.incident
    submitted = incident.submitted_at or now
    unplanned = incident.kind == UNPLANNED_KIND
    if unplanned and incident.reported_at < incident.occurred_at - CLOCK_TOLERANCE:
        yield Finding(
            "time.inconsistent",
            None,
            f"The incident was reported at {_when(incident.reported_at)}, before it occurred at "
            f"{_when(incident.occurred_at)}. Correct the time of occurrence or of the report.",
        )
    if incident.occurred_at > submitted + CLOCK_TOLERANCE:
        yield Finding(
            "time.inconsistent",
            None,
            f"The incident is recorded as occurring at {_when(incident.occurred_at)}, after the workflow was "
            f"submitted at {_when(submitted)}. Correct the time of occurrence.",
        )
    for step in pack.steps:
        for number, item in _valid(step):
            collected = item.collected_at
            if collected is None:
                continue
            # Evidence of every kind is collected for the incident, so within its window: from the
            # occurrence (an unplanned incident; planned work is prepared before it starts) to Complete.
            if unplanned and collected < incident.occurred_at - CLOCK_TOLERANCE:
                problem = f"before the incident occurred at {_when(incident.occurred_at)}"
            elif collected > submitted + CLOCK_TOLERANCE:
                problem = f"after the workflow was submitted at {_when(submitted)}"
            else:
                continue
            yield Finding(
                "time.inconsistent",
                step.key,
                f"{_item(step, number, item)} was collected at {_when(collected)}, {problem}. Correct its collection "
                "time or replace it with evidence collected for this incident.",
            )


def _place_list(places: Iterable) -> str:
    return ", ".join(dict.fromkeys(f"'{place.text}'" for place in places))


def mismatched_locations(pack: Pack, now: datetime) -> Iterable[Finding]:
    location = pack.incident.location
    wrong = contradicting_places(pack.incident.narrative, location)
    if wrong:
        yield Finding(
            "location.mismatch",
            None,
            f"The incident narrative names {_place_list(wrong)}, which contradicts the incident location "
            f"'{location}'. Correct the narrative or the incident location.",
        )
    known = [location, *(e.name for e in pack.incident.pole if e.type == "location")]
    for step in pack.steps:
        for number, item in _valid(step):
            at_scene = item.kind in SCENE_KINDS
            wrong = contradicting_places(item.location, location, compare_areas=at_scene)
            wrong += contradicting_places(item.text, location)
            if wrong:
                yield Finding(
                    "location.mismatch",
                    step.key,
                    f"{_item(step, number, item)} names {_place_list(wrong)}, which contradicts the incident location "
                    f"'{location}'. Correct its location, or replace it with evidence from the incident's location.",
                )
            elif at_scene and shares_nothing(item.location, known):
                yield Finding(
                    "location.mismatch",
                    step.key,
                    f"{_item(step, number, item)} was taken at '{item.location}', which shares no place or name with "
                    f"the incident location '{location}' or its POLE locations. Correct its location, or replace it "
                    "with evidence from the incident's location.",
                )


_GROUP_NOUNS = {"injured": "injured people", "witnesses": "witnesses", "suspects": "suspects"}


def _clash_text(text: str, pack: Pack) -> list[str]:
    return [
        f"gives {_listing([str(n) for n in clash.stated], 'or')} as the number of {_GROUP_NOUNS[clash.group]}, "
        f"but the POLE entities list {clash.listed}"
        for clash in count_clashes(text, pack.incident.pole)
    ]


def _unlisted_text(text: str, pack: Pack, exempt: list[str]) -> list[str]:
    """People and numbered objects a statement names that the POLE entities lack."""
    problems = []
    unlisted = unlisted_people(text, pack.incident.pole, exempt=exempt)
    if unlisted:
        who = "who is" if len(unlisted) == 1 else "who are"
        problems.append(f"names {_listing(unlisted, 'and')}, {who} not among the POLE persons")
    objects = contradicting_objects(text, pack.incident.pole)
    if objects:
        listed = [e.name for e in pack.incident.pole if e.type == "object"]
        problems.append(f"names {_listing(objects, 'and')}, but the POLE objects are {_listing(listed, 'and')}")
    return problems


def inconsistent_people(pack: Pack, now: datetime) -> Iterable[Finding]:
    """People, objects and counts a text names against the POLE entities."""
    clashes = _clash_text(pack.incident.narrative, pack) + _unlisted_text(pack.incident.narrative, pack, [])
    if clashes:
        yield Finding(
            "pole.inconsistent",
            None,
            f"The incident narrative {'; '.join(clashes)}. Correct the narrative or the POLE entities.",
        )
    for step in pack.steps:
        for number, item in _valid(step):
            problems = _clash_text(item.text, pack)
            # Statements only: registers, logs and forms name every person and asset on duty.
            if item.kind == EvidenceKind.NARRATIVE:
                problems += _unlisted_text(item.text, pack, [item.collector])
            if problems:
                yield Finding(
                    "pole.inconsistent",
                    step.key,
                    f"{_item(step, number, item)} {'; '.join(problems)}. Add what is missing to the POLE entities "
                    "or correct the statement.",
                )


def _copied(text: str, sources: list[tuple[str, str]]) -> tuple[str, float]:
    if len(normal_words(text)) < MIN_COPY_WORDS:
        return "", 0.0
    source, share = most_copied(text, sources)
    return (source, share) if share >= COPY_SHARE else ("", 0.0)


def copied_text(pack: Pack, now: datetime) -> Iterable[Finding]:
    """Texts largely copied from a step's instructions or from another incident of the tenant."""
    hints = [(f"the instructions of {step.label}", step.instructions) for step in pack.steps if step.instructions]
    others = [(other.source, other.text) for other in pack.other_texts]
    source, share = _copied(pack.incident.narrative, hints + others)
    if source:
        yield Finding(
            "text.boilerplate",
            None,
            f"The incident narrative repeats {share:.0%} of its wording from {source}. Say in your own words what "
            "happened at this incident, where, and to whom.",
        )
    for step in pack.steps:
        for number, item in _valid(step):
            source, share = _copied(item.text, hints + others)
            if source:
                yield Finding(
                    "text.boilerplate",
                    step.key,
                    f"{_item(step, number, item)} repeats {share:.0%} of its wording from {source}. Replace it with "
                    "what was seen, done or measured for this incident.",
                )


def unjustified_not_applicable(pack: Pack, now: datetime) -> Iterable[Finding]:
    for step in pack.steps:
        if step.status != StepStatus.NOT_APPLICABLE:
            continue
        substantive = step.mandatory or step.substantive_justification
        problem = justification_problem(step.justification, hint=step.instructions, substantive=substantive)
        if problem:
            kind = "Mandatory" if step.mandatory else "Optional"
            yield Finding(
                "step.unjustified_not_applicable",
                step.key,
                f"{kind} {step.label} is marked not applicable but the justification {problem}. Say why the step "
                "does not apply to this incident, or complete it.",
            )


def _paused(step: Step) -> bool:
    return step.status == StepStatus.PAUSED or step.subworkflow_open


def open_subworkflows(pack: Pack, now: datetime) -> Iterable[Finding]:
    for step in pack.steps:
        if _paused(step):
            if step.subworkflow_open:
                state, action = "has an open sub-workflow", "Resolve or cancel the sub-workflow and finish the step"
            else:
                state, action = "is paused", "Resume the step, resolve what it waits for and finish it"
            yield Finding(
                "workflow.subworkflow_open",
                step.key,
                f"{step.title} {state}. {action} before completing the workflow.",
            )


def incomplete_steps(pack: Pack, now: datetime) -> Iterable[Finding]:
    for step in pack.steps:
        if step.mandatory and step.status in _OPEN_STATUSES and not _paused(step):
            yield Finding(
                "step.incomplete",
                step.key,
                f"Mandatory {step.label} is still {StepStatus(step.status).label}. Complete it, or mark it not "
                "applicable with a justification.",
            )


RULES: tuple[Callable[[Pack, datetime], Iterable[Finding]], ...] = (
    missing_evidence,
    invalidated_evidence,
    incomplete_provenance,
    duplicate_evidence,
    thin_narrative,
    copied_text,
    inconsistent_times,
    mismatched_locations,
    inconsistent_people,
    unjustified_not_applicable,
    open_subworkflows,
    incomplete_steps,
)
CODES = (
    "evidence.missing",
    "evidence.invalidated",
    "evidence.provenance_incomplete",
    "evidence.duplicate",
    "narrative.insufficient",
    "text.boilerplate",
    "time.inconsistent",
    "location.mismatch",
    "pole.inconsistent",
    "step.unjustified_not_applicable",
    "workflow.subworkflow_open",
    "step.incomplete",
)


def ordered(pack: Pack, findings: Iterable[Finding]) -> list[Finding]:
    """Incident-level findings first, then by step order, then by code; stable otherwise."""
    position = {step.key: step.number for step in pack.steps}
    return sorted(findings, key=lambda f: (position.get(f.step, 0) if f.step else 0, f.code))


def rule_findings(pack: Pack, now: datetime) -> list[Finding]:
    return ordered(pack, (finding for rule in RULES for finding in rule(pack, now)))
