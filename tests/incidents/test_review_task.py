"""The automated review runs after Complete has committed, as a task that takes the submission's
id: exactly once per submission, with no lock held while it judges (issue 12, item 7)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.urls import reverse

from incidents.choices import IncidentStatus
from incidents.closure.services import invalidation
from incidents.models import Incident
from incidents.work.services import execution as work
from incidents.work.services import review
from incidents.work.tasks import review_submission
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.incidents.test_review_loop import complete_and_review
from workflows.choices import EvidenceKind, Verdict
from workflows.models import Review, Step, Submission
from workflows.review.result import Finding


def review_events(incident: Incident) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=str(incident.pk), action="review", changes__has_key="verdict"))


def status_moves(incident: Incident) -> list[list[str]]:
    events = AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(incident.pk)).order_by("seq")
    return [e.changes["status"] for e in events if "status" in e.changes]


def test_complete_half_closes_and_sends_the_review_only_after_commit(worked, people):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        done = work.complete_work(incident=worked, actor=people["responsible"])
    assert done.status == IncidentStatus.HALF_CLOSED
    submission = Submission.objects.get()
    assert submission.number == 1 and submission.submitted_by == people["responsible"]
    assert not Review.objects.exists(), "nothing is judged inside the completing transaction"
    assert review.awaiting_review(done, work.workflow_of(done)) == submission
    assert len(callbacks) == 1
    callbacks[0]()  # what the commit runs: the task, eager in tests
    done.refresh_from_db()
    assert done.status == IncidentStatus.PENDING_CLOSURE
    assert Review.objects.get().submission == submission
    assert review.awaiting_review(done, work.workflow_of(done)) is None


def test_a_duplicated_or_retried_task_stores_one_review_and_moves_the_incident_once(worked, people):
    with TestCase.captureOnCommitCallbacks(execute=False):
        work.complete_work(incident=worked, actor=people["responsible"])
    submission = Submission.objects.get()
    assert review_submission(submission.pk) == Verdict.SATISFIED
    assert review_submission(submission.pk) == Verdict.SATISFIED  # redelivered after an ack was lost
    assert review_submission.delay(submission.pk).get() == Verdict.SATISFIED  # sent twice
    assert Review.objects.count() == 1
    assert len(review_events(worked)) == 1
    assert status_moves(worked)[-2:] == [["in_progress", "half_closed"], ["half_closed", "pending_closure"]]


def test_a_submission_the_incident_has_left_is_not_judged(worked, people):
    with TestCase.captureOnCommitCallbacks(execute=False):
        work.complete_work(incident=worked, actor=people["responsible"])
    submission = Submission.objects.get()
    photo = Step.objects.get(run=submission.run, key="make_safe").evidence.get(kind=EvidenceKind.PHOTO)
    invalidation.invalidate_evidence(
        incident=worked, evidence=photo, actor=people["responsible"], reason="The photo shows the wrong cross-cut."
    )
    assert review_submission(submission.pk) == "skipped"
    worked.refresh_from_db()
    assert worked.status == IncidentStatus.IN_PROGRESS and not Review.objects.exists()


def test_the_review_of_a_submission_judges_it_as_of_its_complete(worked, people):
    incident = complete_and_review(worked, people["responsible"])
    stored = Review.objects.get()
    assert stored.pack["incident"]["submitted_at"] == stored.submission.submitted_at.isoformat()
    assert incident.status == IncidentStatus.PENDING_CLOSURE


def test_send_the_review_again_is_for_the_responsible_person_of_a_half_closed_incident(worked, people):
    with TestCase.captureOnCommitCallbacks(execute=False):
        work.complete_work(incident=worked, actor=people["responsible"])
    with pytest.raises(PolicyError) as refused:
        review.send_review_again(incident=worked, actor=people["supervisor"])
    assert refused.value.code == "access_denied"
    with TestCase.captureOnCommitCallbacks(execute=True):
        again = review.send_review_again(incident=worked, actor=people["responsible"])
    assert again == Submission.objects.get(), "the same submission, not a new one"
    worked.refresh_from_db()
    assert worked.status == IncidentStatus.PENDING_CLOSURE and Review.objects.count() == 1


def test_the_work_page_says_review_in_progress_and_its_poll_brings_the_outcome(worked, people, client):
    client.force_login(people["responsible"])
    with TestCase.captureOnCommitCallbacks(execute=False):
        response = client.post(reverse("incident_complete", args=[worked.reference]))
    assert response.status_code == 302
    page = client.get(reverse("incident_work", args=[worked.reference])).content.decode()
    poll_url = reverse("incident_work_review", args=[worked.reference])
    assert 'data-testid="review-in-progress"' in page and f'hx-get="{poll_url}"' in page
    htmx = {"HX-Request": "true"}
    waiting = client.get(poll_url, headers=htmx)
    assert waiting.status_code == 204 and waiting["Cache-Control"] == "no-store"

    review_submission(Submission.objects.get().pk)
    outcome = client.get(poll_url, headers=htmx)
    body = outcome.content.decode()
    assert outcome.status_code == 200
    assert 'id="work-body"' in body and 'data-testid="pending-closure"' in body
    assert "review-in-progress" not in body and "hx-trigger" not in body.split('id="completion"')[1][:400]


def test_the_poll_of_a_signed_out_page_gets_nothing_to_swap(worked, client):
    response = client.get(reverse("incident_work_review", args=[worked.reference]), headers={"HX-Request": "true"})
    assert response.status_code == 204


class SlowModel:
    """A review model that answers only when the test lets it."""

    name = "llm:slow-fake"

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.answer = threading.Event()

    def findings(self, pack, raw_pack, rule_findings) -> list[Finding]:
        self.asked.set()
        assert self.answer.wait(30), "the test never let the model answer"
        return []


@pytest.mark.postgres_only(reason="row locks across connections")
@pytest.mark.django_db(transaction=True)
def test_no_row_is_locked_while_the_model_is_asked(worked, people, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks")
    model = SlowModel()
    monkeypatch.setattr(review.LLMReviewer, "from_settings", classmethod(lambda cls: model))
    sent: list[int] = []
    monkeypatch.setattr(review, "schedule_review", sent.append)  # the worker below stands in for the broker
    work.complete_work(incident=worked, actor=people["responsible"])
    submission = Submission.objects.get()
    assert sent == [submission.pk]
    outcome: list = []

    def run_task() -> None:
        try:
            outcome.append(review_submission(submission.pk))
        finally:
            connection.close()

    worker = threading.Thread(target=run_task)
    worker.start()
    try:
        assert model.asked.wait(30), "the review never asked the model"
        # Meanwhile another transaction locks and updates the incident without waiting.
        with transaction.atomic():
            row = Incident.objects.select_for_update(nowait=True).get(pk=worked.pk)
            Incident.objects.filter(pk=row.pk).update(location="Shaft 2, level 8, loading box")
    finally:
        model.answer.set()
        worker.join(60)
    assert outcome == [Verdict.SATISFIED]
    stored = Review.objects.get()
    assert stored.engine.endswith("+llm:slow-fake")
    worked.refresh_from_db()
    assert worked.status == IncidentStatus.PENDING_CLOSURE
