"""The half-closed loop: Complete → review → corrections (steps reopened, findings shown) →
fixed → review satisfied → pending closure; every review stored and on the timeline."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.closure.services import invalidation
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import Incident
from incidents.work.services import execution as work
from incidents.work.services import review
from iwms.errors import PolicyError
from iwms.models import AuditEvent, User
from tests.incidents.test_work import add_photo, png
from workflows.choices import EvidenceKind, EvidenceSource, StepStatus, Verdict
from workflows.models import Review, Step

TEXT_FOR = {
    EvidenceKind.NARRATIVE: "The slab fell from the hanging wall at Shaft 2, level 8; the crew of four was "
    "accounted for at the waiting place and nobody was injured.",
    EvidenceKind.DOCUMENT: "",
    EvidenceKind.MEASUREMENT: "Hanging wall sounding: 3 of 12 points drummy; slab 0.5 m x 1.2 m x 0.2 m.",
    EvidenceKind.EXTERNAL_REFERENCE: "DMRE notification KRD-2026-0412",
    EvidenceKind.SIGN_OFF: "Working place signed off for re-entry after scaling and support installation.",
}
COLOURS = (f"#{(0x102030 + n * 0x01F3A7) % 0xFFFFFF:06x}" for n in itertools.count())  # no repeat for millions


def pdf_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = f"%PDF-1.4\n1 0 obj <<>> endobj\n% {next(COLOURS)}\ntrailer <<>>\n%%EOF\n".encode()
    return SimpleUploadedFile("attendance.pdf", body, content_type="application/pdf")


# The review refuses wording copied from the tenant's other incidents, so tests that work
# several incidents give each its own: words picked by the incident's id (and the step).
WORDS = [
    "amber",
    "basalt",
    "cobalt",
    "delta",
    "ember",
    "falcon",
    "granite",
    "harbour",
    "indigo",
    "jasper",
    "kestrel",
    "lumen",
    "magnet",
    "nickel",
    "onyx",
    "pylon",
    "quartz",
    "raven",
    "sable",
    "tundra",
    "umber",
    "vortex",
    "willow",
    "xenon",
    "yarrow",
    "zephyr",
]


def picks(seed: object, count: int) -> list[str]:
    """`count` words chosen by hashing `seed`: two seeds share hardly a word, let alone a run of three."""
    return [WORDS[hashlib.sha256(f"{seed}/{j}".encode()).digest()[0] % len(WORDS)] for j in range(count)]


def own_account(incident) -> str:
    """A narrative no other incident of the test shares."""
    w = picks(f"account/{incident.pk}", 10)
    return (
        f"At 09:40 at {incident.location} the {w[0]} crew found a {w[1]} slab beside the {w[2]} box; "
        f"{w[3]} barricades went up, the {w[4]} foreman checked the {w[5]} wall, the {w[6]} team "
        f"scaled the {w[7]} sidewall and the {w[8]} bolts held near the {w[9]} cubby. Nobody was injured."
    )


def own_text(kind: str, incident, step: Step) -> str:
    """Evidence text of `kind` that no other incident's evidence, nor another step's, shares: the
    words between the kind's own few are picked by the incident's id and the step."""
    w = " ".join(picks(f"{kind}/{incident.pk}/{step.position}", 16))
    lead = {
        EvidenceKind.NARRATIVE: "Crew of four accounted for:",
        EvidenceKind.MEASUREMENT: "Sounding, 3 of 12 drummy:",
        EvidenceKind.SIGN_OFF: "Signed off for re-entry:",
    }.get(kind)
    if lead is None:
        return f"{TEXT_FOR[kind]} ({incident.reference}, step {step.position})"
    return f"{lead} {w} ({incident.reference}, step {step.position})."


def satisfy(incident, step: Step, *, photo=None) -> None:
    """Give `step` every kind it needs, from its executor, and complete it."""
    actor = User.objects.get(pk=step.executor_id)
    for kind in step.required_evidence:
        fields = dict(
            kind=kind,
            source=EvidenceSource.UPLOAD,
            collected_at=timezone.now() - timedelta(minutes=2),
            relevance=f"Recorded for {step.name.lower()}",
            location=incident.location,
        )
        if kind == EvidenceKind.PHOTO:
            fields["upload"] = photo or png(next(COLOURS))
        elif kind == EvidenceKind.DOCUMENT:
            fields["upload"] = pdf_upload()
        else:
            fields["text"] = own_text(kind, incident, step)
        work.add_step_evidence(incident=incident, step=Step.objects.get(pk=step.pk), actor=actor, **fields)
    work.complete_step(incident=incident, step=Step.objects.get(pk=step.pk), actor=actor)


def complete_and_review(incident, actor):
    """Complete, then run the review task the commit sends. Tests run inside a transaction that
    never commits, so the on-commit callbacks are run here, as the commit would run them."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        work.complete_work(incident=incident, actor=actor)
    return Incident.objects.get(pk=incident.pk)


def work_through(incident, *, photo_for: dict | None = None) -> None:
    for step in work.workflow_of(incident).steps.order_by("position"):
        if step.mandatory:
            satisfy(incident, step, photo=(photo_for or {}).get(step.key))


def test_clean_work_is_satisfied_and_goes_to_pending_closure(worked, people):
    outcome = complete_and_review(worked, people["responsible"])
    assert outcome.status == IncidentStatus.PENDING_CLOSURE, Review.objects.get().findings
    review = Review.objects.get()
    assert review.verdict == Verdict.SATISFIED and review.findings == []
    assert review.engine and review.version and len(review.input_digest) == 64
    transitions = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(worked.pk))
    states = [e.changes.get("status") for e in transitions.order_by("seq") if "status" in e.changes]
    assert states[-2:] == [["in_progress", "half_closed"], ["half_closed", "pending_closure"]]


def test_reused_photo_sends_the_incident_back_with_the_step_reopened(acknowledged, people):
    photo = png("orange")
    again = png("orange")
    work_through(acknowledged, photo_for={"make_safe": photo, "scale_and_support": again})
    outcome = complete_and_review(acknowledged, people["responsible"])
    assert outcome.status == IncidentStatus.IN_PROGRESS
    review = Review.objects.get()
    assert review.verdict == Verdict.CORRECTIONS_REQUIRED
    assert {f["code"] for f in review.findings} == {"evidence.duplicate"}
    concerned = {f["step"] for f in review.findings}
    reopened = Step.objects.filter(run=review.run, key__in=concerned)
    assert reopened and all(s.status == StepStatus.IN_PROGRESS for s in reopened)
    verdicts = [e.changes["verdict"] for e in AuditEvent.objects.filter(action="review") if "verdict" in e.changes]
    assert verdicts == [Verdict.CORRECTIONS_REQUIRED]

    # the responsible person replaces the reused photo and completes again
    for step in reopened:
        actor = User.objects.get(pk=step.executor_id)
        reused = step.evidence.get(kind=EvidenceKind.PHOTO)
        invalidation.invalidate_evidence(
            incident=outcome, evidence=reused, actor=actor, reason="Same photo as the barricade step; retaken."
        )
        add_photo(outcome, Step.objects.get(pk=step.pk), actor, colour="purple")
        work.complete_step(incident=outcome, step=Step.objects.get(pk=step.pk), actor=actor)
    final = complete_and_review(outcome, people["responsible"])
    assert final.status == IncidentStatus.PENDING_CLOSURE
    assert list(Review.objects.order_by("sequence").values_list("verdict", flat=True)) == [
        Verdict.CORRECTIONS_REQUIRED,
        Verdict.SATISFIED,
    ]


def test_review_can_be_sent_again_only_while_half_closed(worked, people):
    with pytest.raises(PolicyError) as refused:
        review.send_review_again(incident=worked, actor=people["responsible"])
    assert refused.value.code == "transition.not_allowed"


def test_complete_is_refused_for_someone_else(worked, people):
    with pytest.raises(PolicyError) as refused:
        work.complete_work(incident=worked, actor=people["supervisor"])
    assert refused.value.code == "access_denied"


def test_a_thin_narrative_is_corrected_by_the_responsible_person(make_incident, people):
    incident = make_incident(narrative="Rock fell near the box; nobody hurt.")
    incident_workflows.start_incident_workflow(incident=incident)
    incident = lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])
    work_through(incident)
    outcome = complete_and_review(incident, people["responsible"])
    assert "narrative.insufficient" in {f["code"] for f in Review.objects.get().findings}
    with pytest.raises(PolicyError) as refused:
        work.correct_account(
            incident=outcome, actor=people["reporter"], narrative="x" * 40, location="Shaft 2", reason="not mine"
        )
    assert refused.value.code == "access_denied"
    corrected = work.correct_account(
        incident=outcome,
        actor=people["responsible"],
        narrative="At 09:40 on the day shift a slab of about half a metre fell from the hanging wall next to the "
        "loading box at Shaft 2, level 8. The crew of four was at the waiting place and nobody was injured.",
        location=outcome.location,
        reason="The review found the first account too thin.",
    )
    assert corrected.initial_responsible == people["responsible"]
    final = complete_and_review(corrected, people["responsible"])
    assert final.status == IncidentStatus.PENDING_CLOSURE, Review.objects.order_by("-sequence").first().findings
    event = AuditEvent.objects.filter(object_id=str(incident.pk), message__startswith="Account corrected").get()
    assert event.changes["before"]["narrative"] == "Rock fell near the box; nobody hurt."


def test_review_pack_command_gives_the_same_verdict_as_the_page(acknowledged, people, tmp_path):
    import json
    from io import StringIO

    from django.core.management import call_command

    work_through(acknowledged, photo_for={"make_safe": png("teal"), "scale_and_support": png("teal")})
    complete_and_review(acknowledged, people["responsible"])
    stored = Review.objects.get()
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(stored.pack))
    out = StringIO()
    call_command("review_pack", str(path), stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["verdict"] == stored.verdict == Verdict.CORRECTIONS_REQUIRED
    assert printed["findings"] == stored.findings
    assert printed["input_digest"] == stored.input_digest
