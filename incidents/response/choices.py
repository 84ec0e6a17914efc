"""Choices of the response app: roles, hand-over states, audiences, groups, review depths."""

from django.db import models


class RoleKind(models.TextChoices):
    """The response roles every tenant has (seed 003); a tenant adds its own (`TenantRole`)."""

    COMMANDER = "commander", "incident commander"
    TECHNICAL_OWNER = "technical_owner", "technical owner"
    COMMUNICATIONS_LEAD = "communications_lead", "communications lead"


class AssignmentStatus(models.TextChoices):
    PROPOSED = "proposed", "handed over, awaiting acceptance"
    ACTIVE = "active", "holds the role"
    DECLINED = "declined", "declined"
    WITHDRAWN = "withdrawn", "withdrawn"
    ENDED = "ended", "handed on"


class NoteKind(models.TextChoices):
    NOTE = "note", "note"
    DECISION = "decision", "decision"
    LINK = "link", "link"


class Moment(models.TextChoices):
    """The moments of a response that its KPIs are computed from (seed 003 §time to …)."""

    DETECTED = "detected", "detected"
    MITIGATED = "mitigated", "mitigated"
    RESOLVED = "resolved", "resolved"


class GroupKind(models.TextChoices):
    """Recipient groups of seed 001's communication plan and seed 004."""

    EXECUTIVES = "executives", "executives"
    AFFECTED_STAFF = "affected_staff", "affected staff"
    IT_STAFF = "it_staff", "IT staff"
    STAKEHOLDERS = "stakeholders", "stakeholders"
    CUSTOMERS = "customers", "customers"
    PARTNERS = "partners", "partners"
    REGULATORS = "regulators", "regulators"


class Audience(models.TextChoices):
    """What kind of message a template writes (seed 004's communication templates)."""

    INTERNAL_TECHNICAL = "internal_technical", "internal: technical update"
    MANAGEMENT = "management", "internal: management update"
    RESOLUTION = "resolution", "internal: resolution notice"
    CUSTOMER = "customer", "external: customer notice"
    PARTNER = "partner", "external: partner notice"
    REGULATORY = "regulatory", "external: regulatory notification"


class ReviewDepth(models.TextChoices):
    """Seed 004's post-incident report templates."""

    EXECUTIVE_SUMMARY = "executive_summary", "executive summary"
    DETAILED_TECHNICAL = "detailed_technical", "detailed technical"
    LIGHTWEIGHT = "lightweight", "lightweight"
    QUICK_RETROSPECTIVE = "quick_retrospective", "quick retrospective"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    SUBMITTED = "submitted", "submitted for acceptance"
    ACCEPTED = "accepted", "accepted"


class ActionStatus(models.TextChoices):
    OPEN = "open", "open"
    DONE = "done", "done"


class ClosureRule(models.TextChoices):
    """What closure needs of a review's action items (the tenant chooses, issue 16)."""

    ITEMS_DONE = "items_done", "every action item done"
    ITEMS_OWNED = "items_owned", "every action item done or with an owner and a due date"
