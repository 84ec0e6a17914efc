"""The triage slice's vocabularies."""

from __future__ import annotations

from django.db import models


class Priority(models.TextChoices):
    """Priority beside severity (seed 001): how soon, where severity says how bad."""

    P1 = "p1", "P1"
    P2 = "p2", "P2"
    P3 = "p3", "P3"
    P4 = "p4", "P4"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "waiting for a manager"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"


class ChangeKind(models.TextChoices):
    SEVERITY = "severity", "severity"
    PRIORITY = "priority", "priority"


class BreachCause(models.TextChoices):
    """Seed 002 §6.3's breach cause categories."""

    CAPACITY = "capacity", "capacity"
    TELEMETRY_GAP = "telemetry_gap", "telemetry gap"
    DEPENDENCY_OUTAGE = "dependency_outage", "dependency outage"
    PROCESS_NON_COMPLIANCE = "process_non_compliance", "process non-compliance"
    OTHER = "other", "other"
