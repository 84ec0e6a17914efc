"""Choices of the workflow engine: step states, evidence kinds, review verdicts."""

from django.db import models


class StepStatus(models.TextChoices):
    PENDING = "pending", "pending"
    IN_PROGRESS = "in_progress", "in progress"
    PAUSED = "paused", "paused"
    COMPLETED = "completed", "completed"
    NOT_APPLICABLE = "not_applicable", "not applicable"


class ResponsibleRole(models.TextChoices):
    """Who executes a template step: the incident's responsible person, or a position."""

    RESPONSIBLE = "responsible", "the responsible person"
    POSITION = "position", "a named position"


class RunKind(models.TextChoices):
    MAIN = "main", "workflow"
    INFORMATION_REQUEST = "information_request", "information request (sub-workflow)"
    CORRECTIVE = "corrective", "corrective workflow"


class RunStatus(models.TextChoices):
    OPEN = "open", "open"
    RESOLVED = "resolved", "resolved"
    CANCELLED = "cancelled", "cancelled"


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", "photo"
    DOCUMENT = "document", "document"
    NARRATIVE = "narrative", "narrative"
    MEASUREMENT = "measurement", "measurement"
    SIGN_OFF = "sign_off", "sign-off"
    EXTERNAL_REFERENCE = "external_reference", "external reference"


class EvidenceSource(models.TextChoices):
    """Where an item of evidence came from (its provenance)."""

    UPLOAD = "upload", "uploaded by a person"
    FIELD_DEVICE = "field_device", "field device or camera"
    SURVEILLANCE = "surveillance", "surveillance system"
    DETECTION = "detection", "detection system"
    EXTERNAL_PROVIDER = "external_provider", "external provider"
    INTERVIEW = "interview", "interview or statement"
    SYSTEM = "system", "system record"


class Verdict(models.TextChoices):
    SATISFIED = "satisfied", "satisfied"
    CORRECTIONS_REQUIRED = "corrections_required", "corrections required"
