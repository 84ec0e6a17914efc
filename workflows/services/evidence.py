"""Adding evidence with its provenance, superseding it and invalidating it. Nothing here
edits or deletes an item's content: the database refuses that too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.date_bounds import out_of_bounds
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


def add_evidence(*, step: Step, actor: User, upload: Any = None, **fields: Any) -> Evidence:
    """Attach one item to `step` (see `add_evidence_items`)."""
    return add_evidence_items(step=step, actor=actor, uploads=[upload] if upload is not None else [], **fields)[0]


def add_evidence_items(
    *,
    step: Step,
    actor: User,
    kind: str,
    source: str,
    collected_at: datetime,
    relevance: str,
    uploads: Sequence[Any] = (),
    text: str = "",
    location: str = "",
    collector: User | None = None,
    supersedes: Evidence | None = None,
) -> list[Evidence]:
    """Attach one item per file of `uploads` (or one text item) to `step`, all or nothing: every
    file's bytes are checked against the kind, hashed and stored content-addressed before any
    row is written, so one refused file refuses the whole upload and a retry duplicates
    nothing. Photos and documents need a file, narratives and external references a text;
    sign-offs and measurements take either; the text goes with the first item."""
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
    if kind in FILE_KINDS and not uploads:
        raise PolicyError.on("validation.invalid", f"A {EvidenceKind(kind).label} needs a file.", step, field="file")
    if kind in TEXT_KINDS and not text:
        raise PolicyError.on("validation.invalid", f"Write the {EvidenceKind(kind).label}.", step, field="text")
    if not uploads and not text:
        raise PolicyError.on("validation.invalid", "Attach a file or write the evidence.", step, field="file")
    if len(relevance.strip()) < MIN_RELEVANCE:
        raise PolicyError.on(
            "validation.invalid", "Say what this evidence shows for the step.", step, field="relevance"
        )
    if problem := out_of_bounds(collected_at):
        raise PolicyError.on("validation.invalid", problem, step, field="collected_at")
    if collected_at > timezone.now():
        raise PolicyError.on(
            "validation.invalid", "Evidence cannot be collected in the future.", step, field="collected_at"
        )
    if supersedes is not None and (supersedes.step_id != step.pk or not supersedes.is_valid):
        raise PolicyError.on(
            "evidence.invalidated", "Only a current item of this step can be superseded.", step, field="supersedes"
        )
    stored_files = [_stored(step, upload, kind) for upload in uploads] or [None]
    with transaction.atomic():
        # Re-read under lock: the caller's copy may predate another request's change.
        step = Step.objects.select_for_update().select_related("run").get(pk=step.pk)
        if step.is_done:
            raise PolicyError.on("transition.not_allowed", f"Step {step.position} was finished meanwhile.", step)
        if step.status == StepStatus.PENDING:
            step = run_transition(step, "start", actor=actor, message=f"Work started on step {step.position}.")
        items = []
        for index, stored in enumerate(stored_files):
            item_text = text if index == 0 else ""
            item = Evidence(
                organisation=step.organisation,
                step=step,
                kind=kind,
                sha256=stored.sha256 if stored else evidence_files.sha256_of_text(item_text),
                storage_name=stored.storage_name if stored else "",
                media_type=stored.media_type if stored else "text/plain",
                size=stored.size if stored else len(item_text.encode()),
                original_name=stored.original_name if stored else "",
                thumbnail_name=(stored.thumbnail_name or "") if stored else "",
                text=item_text,
                source=source,
                collector=collector or actor,
                collected_at=collected_at,
                relevance=relevance.strip(),
                location=location.strip(),
                submitted_by=actor,
                supersedes=supersedes if index == 0 else None,
            )
            item.save()
            record_event(
                tenant=step.organisation_id,
                action=AuditAction.CREATE,
                actor=actor,
                obj=item,
                message=f"{item.get_kind_display().capitalize()} added to step {step.position} '{step.name}'"
                + (f", superseding item {supersedes.pk}" if supersedes and index == 0 else "")
                + ".",
                changes={"step": step.pk, "kind": kind, "sha256": item.sha256, "source": source},
            )
            items.append(item)
    return items


def _stored(step: Step, upload: Any, kind: str) -> evidence_files.StoredContent:
    """Store one file of an upload; a refusal names the file, so the person knows which to replace."""
    try:
        return evidence_files.store_content(upload=upload, declared_kind=kind, tenant=step.organisation)
    except PolicyError as exc:
        name = getattr(upload, "name", "") or "a file"
        named = exc.message if name in exc.message else f"{name}: {exc.message}"
        exc.message = f"{named} Nothing of this upload was added."
        exc.context.setdefault("field", "files")
        exc.context.setdefault("file", name)
        raise


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
