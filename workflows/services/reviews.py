"""Submissions of a run to the automated review, and the reviews stored for them. The caller
holds the lock of the run's subject; these write the rows only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Max

from workflows.models import Review, Submission, WorkflowRun
from workflows.review import ReviewResult


def open_submission(*, run: WorkflowRun, submitted_by: Any, at: datetime) -> Submission:
    """Record one Complete of `run`: the next submission number, judged once by the review."""
    last = run.submissions.aggregate(last=Max("number"))["last"] or 0
    submission = Submission(
        organisation_id=run.organisation_id, run=run, number=last + 1, submitted_at=at, submitted_by=submitted_by
    )
    submission.save()
    return submission


def current_submission(run: WorkflowRun) -> Submission | None:
    return run.submissions.order_by("-number").first()


def store_review(*, submission: Submission, result: ReviewResult, pack: dict[str, Any]) -> Review:
    """Keep the verdict of `submission` with what judged it and the exact input it saw. The
    one-to-one link refuses a second review of the same submission."""
    run = submission.run
    outcome = result.as_dict()
    review = Review(
        organisation_id=run.organisation_id,
        run=run,
        submission=submission,
        sequence=run.reviews.count() + 1,
        engine=result.engine,
        version=result.version,
        input_digest=result.input_digest,
        verdict=result.verdict,
        findings=outcome["findings"],
        llm_error=result.llm_error or "",
        pack=pack,
    )
    review.save()
    return review
