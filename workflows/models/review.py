"""Submissions and stored automated reviews: each Complete of a workflow is a submission, judged
exactly once; every verdict is kept with the engine, version and input digest that produced it,
so an auditor can see why an incident moved on or came back."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from iwms.models import TenantScopedModel
from workflows.choices import Verdict
from workflows.models.runs import WorkflowRun


class Submission(TenantScopedModel):
    """One Complete of a run: the half-closed cycle the automated review judges. The review runs
    after the completing transaction commits, in the background; the one-to-one link from its
    Review makes a retried or duplicated review task store nothing twice."""

    run = models.ForeignKey(WorkflowRun, on_delete=models.PROTECT, related_name="submissions")
    number = models.PositiveIntegerField(help_text="1 for the run's first Complete, then 2, 3, …")
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run_id", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="submission_unique_number")]

    def __str__(self) -> str:
        return f"Submission {self.number} of {self.run}"


class Review(TenantScopedModel):
    """One run of the automated review over a workflow's subject, its steps and evidence."""

    run = models.ForeignKey(WorkflowRun, on_delete=models.PROTECT, related_name="reviews")
    submission = models.OneToOneField(
        Submission,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review",
        help_text="The Complete this review judged (empty on reviews stored before submissions were kept).",
    )
    sequence = models.PositiveIntegerField(help_text="1 for the first review of the run, then 2, 3, …")
    engine = models.CharField(max_length=120)
    version = models.CharField(max_length=40)
    input_digest = models.CharField(max_length=64, help_text="SHA-256 of the review pack.")
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    findings = models.JSONField(default=list, blank=True)
    llm_error = models.TextField(blank=True, help_text="Why the optional model adapter was not used, if it failed.")
    pack = models.JSONField(help_text="The exact input the reviewer saw.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run_id", "sequence"]
        constraints = [models.UniqueConstraint(fields=["run", "sequence"], name="review_unique_sequence")]

    def __str__(self) -> str:
        return f"Review {self.sequence}: {self.get_verdict_display()}"
