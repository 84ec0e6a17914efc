"""Adding evidence with its provenance, superseding it and invalidating it. Nothing here
edits or deletes an item's content: the database refuses that too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.decisions import Decision
from iwms.errors import PolicyError
from iwms.models import User
from iwms.transitions import run_transition
from workflows import evidence_files
from workflows.choices import EvidenceKind, EvidenceSource, StepStatus
from workflows.models import Evidence, Step
from workflows.policy import may_invalidate_evidence, may_work_step
from workflows.services.steps import missing_evidence_kinds, reopen_step

FILE_KINDS = {EvidenceKind.PHOTO, EvidenceKind.DOCUMENT}
TEXT_KINDS = {EvidenceKind.NARRATIVE, EvidenceKind.EXTERNAL_REFERENCE}
MIN_RELEVANCE = 5
MIN_REASON = 15


def add_evidence(
    *,
    step: Step,
    actor: User,
    kind: str,
    source: str,
    collected_at: datetime,
    relevance: str,
    upload: Any = None,
    text: str = "",
    location: str = "",
    collector: User | None = None,
    supersedes: Evidence | None = None,
) -> Evidence:
    """Attach one item to `step`. Photos and documents need a file, narratives and external
    references a text; sign-offs and measurements take either. The file's bytes are checked
    against the kind, hashed and stored content-addressed before the row is written."""
    decision = may_work_step(actor, step)
    if not decision:
        raise PolicyError.on("access_denied", decision.reason, step)
    if step.is_done:
        raise PolicyError.on(
            "transition.not_allowed",
            f"Step {step.position} is {step.get_status_display()}; evidence is added before a step is finished.",
            step,
            state=step.status,
        )
    if kind not in EvidenceKind.values:
        raise PolicyError.on("validation.invalid", "Choose the kind of evidence.", step, field="kind")
    if source not in EvidenceSource.values:
        raise PolicyError.on("validation.invalid", "Say where the evidence came from.", step, field="source")
    text = text.strip()
    if kind in FILE_KINDS and upload is None:
        raise PolicyError.on("validation.invalid", f"A {EvidenceKind(kind).label} needs a file.", step, field="file")
    if kind in TEXT_KINDS and not text:
        raise PolicyError.on("validation.invalid", f"Write the {EvidenceKind(kind).label}.", step, field="text")
    if upload is None and not text:
        raise PolicyError.on("validation.invalid", "Attach a file or write the evidence.", step, field="file")
    if len(relevance.strip()) < MIN_RELEVANCE:
        raise PolicyError.on(
            "validation.invalid", "Say what this evidence shows for the step.", step, field="relevance"
        )
    if collected_at > timezone.now():
        raise PolicyError.on(
            "validation.invalid", "Evidence cannot be collected in the future.", step, field="collected_at"
        )
    if supersedes is not None and (supersedes.step_id != step.pk or not supersedes.is_valid):
        raise PolicyError.on(
            "evidence.invalidated", "Only a current item of this step can be superseded.", step, field="supersedes"
        )
    stored = (
        evidence_files.store_content(upload=upload, declared_kind=kind, tenant=step.organisation) if upload else None
    )
    with transaction.atomic():
        # Re-read under lock: the caller's copy may predate another request's change.
        step = Step.objects.select_for_update().select_related("run").get(pk=step.pk)
        if step.is_done:
            raise PolicyError.on("transition.not_allowed", f"Step {step.position} was finished meanwhile.", step)
        if step.status == StepStatus.PENDING:
            step = run_transition(step, "start", actor=actor, message=f"Work started on step {step.position}.")
        item = Evidence(
            organisation=step.organisation,
            step=step,
            kind=kind,
            sha256=stored.sha256 if stored else evidence_files.sha256_of_text(text),
            storage_name=stored.storage_name if stored else "",
            media_type=stored.media_type if stored else "text/plain",
            size=stored.size if stored else len(text.encode()),
            original_name=stored.original_name if stored else "",
            thumbnail_name=(stored.thumbnail_name or "") if stored else "",
            text=text,
            source=source,
            collector=collector or actor,
            collected_at=collected_at,
            relevance=relevance.strip(),
            location=location.strip(),
            submitted_by=actor,
            supersedes=supersedes,
        )
        item.save()
        record_event(
            tenant=step.organisation_id,
            action=AuditAction.CREATE,
            actor=actor,
            obj=item,
            message=f"{item.get_kind_display().capitalize()} added to step {step.position} '{step.name}'"
            + (f", superseding item {supersedes.pk}" if supersedes else "")
            + ".",
            changes={"step": step.pk, "kind": kind, "sha256": item.sha256, "source": source},
        )
    return item


def invalidate_evidence(
    *, evidence: Evidence, actor: User, reason: str, decided: Decision | None = None
) -> tuple[Evidence, bool]:
    """Invalidate an item with a reason. When a completed step relied on it (a required kind
    is no longer covered), the step returns to in progress. Returns (item, step reopened);
    the incident layer takes a closed incident through its reopen path. `decided`: the
    subject layer's answer to who may (an incident past its work is the decider's or the
    reopener's), in place of the step's own rule."""
    decision = decided if decided is not None else may_invalidate_evidence(actor, evidence)
    if not decision:
        code = "evidence.invalidated" if evidence.invalidated_at else (decision.code or "access_denied")
        raise PolicyError.on(code, decision.reason, evidence)
    if len(reason.strip()) < MIN_REASON:
        raise PolicyError.on(
            "validation.invalid",
            f"Say why the evidence is no longer valid (at least {MIN_REASON} characters).",
            evidence,
            field="reason",
        )
    with transaction.atomic():
        step = Step.objects.select_for_update().get(pk=evidence.step_id)
        item = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if item.invalidated_at is not None:
            raise PolicyError.on("evidence.invalidated", "Already invalidated.", item)
        item.invalidated_at = timezone.now()
        item.invalidated_by = actor
        item.invalidation_reason = reason.strip()
        item.save(update_fields=["invalidated_at", "invalidated_by", "invalidation_reason", "updated_at"])
        record_event(
            tenant=item.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=item,
            message=f"Evidence invalidated: {reason.strip()}",
            changes={"invalidated": True, "step": step.pk, "sha256": item.sha256},
        )
        relied_on = step.status == StepStatus.COMPLETED and item.kind in missing_evidence_kinds(step)
        if relied_on:
            reopen_step(step=step, actor=actor, reason=f"evidence it relied on was invalidated ({reason.strip()})")
    return item, relied_on
