"""Choices of the incident: kinds, sources, severity, risk, time sensitivity and status."""

from django.db import models


class IncidentKind(models.TextChoices):
    """Step 1 of the wizard: what is being reported (seed 000 §5)."""

    WORK_ACTIVITY = "work_activity", "Work activity"
    INCIDENT = "incident", "Incident"
    HIGH_RISK_OPERATION = "high_risk_operation", "High-risk operation"
    PROJECT_WORK = "project_work", "Project / job-related work"
    CHANGE_MANAGEMENT = "change_management", "Change management"
    OTHER_GOVERNED_EVENT = "other_governed_event", "Other governed event"


KIND_EXPLANATIONS = {
    IncidentKind.WORK_ACTIVITY: "Routine governed work that needs an accountable owner and evidence of completion.",
    IncidentKind.INCIDENT: "Something happened: an injury, a near miss, damage, a loss, a security breach.",
    IncidentKind.HIGH_RISK_OPERATION: "Work that needs a permit and controls before it starts, e.g. working at "
    "height, confined space, blasting.",
    IncidentKind.PROJECT_WORK: "A project or job whose execution IWMS governs (scheduling may live in PIT).",
    IncidentKind.CHANGE_MANAGEMENT: "A change to a plant, process, system or structure that must be assessed "
    "and approved.",
    IncidentKind.OTHER_GOVERNED_EVENT: "Anything else that must have an owner, evidence and a closure.",
}


class Source(models.TextChoices):
    """How the incident was created: an immutable anchor (seed 000 §4.1)."""

    RADAM = "radam", "RADAM"
    RTAC = "rtac", "RTAC"
    SURVEILLANCE_TIER_1 = "surveillance_t1", "Surveillance tier 1"
    SURVEILLANCE_TIER_2 = "surveillance_t2", "Surveillance tier 2"
    SURVEILLANCE_TIER_3 = "surveillance_t3", "Surveillance tier 3"
    AI_ANOMALY = "ai_anomaly", "AI anomaly detection"
    MANUAL = "manual", "Manual report"
    EXTERNAL_PROVIDER = "external_provider", "External provider"
    SYSTEM = "system", "System-generated"
    SPLIT = "split", "Split from another incident"


class SystemReason(models.TextChoices):
    """Why the system generated an incident (only with source = system)."""

    OVERDUE = "overdue", "Failure to complete in time"
    ORGANOGRAM_MISMATCH = "organogram_mismatch", "Organogram mismatch"
    AUDIT = "audit", "Audit"
    ORGANOGRAM_VERIFICATION = "organogram_verification", "Organogram verification"


class Severity(models.TextChoices):
    """SEV-1…SEV-4 with the definitions of seed 003 (EAVIP)."""

    SEV1 = "sev1", "SEV-1"
    SEV2 = "sev2", "SEV-2"
    SEV3 = "sev3", "SEV-3"
    SEV4 = "sev4", "SEV-4"


SEVERITY_DEFINITIONS = {
    Severity.SEV1: "Critical: loss of life or serious injury, major loss of product or security, or a total stop "
    "of operations. All hands; the executive is informed.",
    Severity.SEV2: "Major: significant injury, damage or loss, or a large part of operations degraded. "
    "Urgent response by the accountable department.",
    Severity.SEV3: "Moderate: limited impact that is contained, with a workaround in place.",
    Severity.SEV4: "Minor: little or no impact; a deviation or observation to correct.",
}


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class TimeSensitivity(models.TextChoices):
    ROUTINE = "routine", "Routine"
    PROMPT = "prompt", "Prompt (same shift)"
    URGENT = "urgent", "Urgent (within the hour)"
    IMMEDIATE = "immediate", "Immediate (now)"


class IncidentStatus(models.TextChoices):
    """The lifecycle of DESIGN.md; only the transitions on `Incident` move between them."""

    OPEN = "open", "open"
    IN_PROGRESS = "in_progress", "in progress"
    HALF_CLOSED = "half_closed", "half-closed"
    PENDING_CLOSURE = "pending_closure", "pending closure"
    CLOSED = "closed", "closed"
    MERGED = "merged", "merged"  # terminal: folded into a surviving primary (incidents.controls)


# Where no clock runs and nothing more is done on the incident itself.
FINAL_STATUSES = frozenset({IncidentStatus.CLOSED, IncidentStatus.MERGED})


class PoleType(models.TextChoices):
    PERSON = "person", "Person"
    OBJECT = "object", "Object"
    LOCATION = "location", "Location"
    EVENT = "event", "Event"


class DecisionKind(models.TextChoices):
    """What the supervisor (or an elevated approver) decides on an incident."""

    APPROVE = "approve", "approve closure"
    REJECT = "reject", "reject (corrective workflow)"
    MORE_EVIDENCE = "more_evidence", "request more evidence"
    ORGANOGRAM_MISMATCH = "organogram_mismatch", "organogram mismatch"
    OVERRIDE = "override", "approve despite open review findings"
    REOPEN = "reopen", "reopen"


class ClockKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "acknowledge"
    CONTAIN = "contain", "contain"
    RESOLVE = "resolve", "resolve"
    STEP = "step", "step due date"
    SUBWORKFLOW = "subworkflow", "information request due date"
    ESCALATION = "escalation", "escalation acknowledgement"
    DECISION = "decision", "closure decision"


class SignalKind(models.TextChoices):
    """Maturity signals: what the organisation should learn from, never blame."""

    ESCALATED_TO_TOP = "escalated_to_top", "escalation reached the top of the hierarchy"
    REVIEW_OVERRIDDEN = "review_overridden", "review findings overridden at closure"
    VACANT_SUPERVISOR = "vacant_supervisor", "vacant supervisor position skipped"
    ORGANOGRAM_MISMATCH = "organogram_mismatch", "incident routed to the wrong person or role"


class AuditPackStatus(models.TextChoices):
    """Where an audit pack's background export stands."""

    QUEUED = "queued", "queued"
    RUNNING = "running", "being generated"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class GrantStanding(models.TextChoices):
    """Why the requester may ask for a grant over its scope (shown to the tenant admin who issues it)."""

    OWNER = "owner", "owner of the incidents"
    CATEGORY_CUSTODIAN = "category_custodian", "custodian of the category"
    TENANT_ADMIN = "tenant_admin", "tenant admin"
