"""Choices of ARC."""

from django.db import models


class DelegationScope(models.TextChoices):
    RESPONSIBILITY = "responsibility", "whole responsibility"
    STEP = "step", "one step"


class DelegationReason(models.TextChoices):
    ABSENCE = "absence", "absence or leave"
    WORKLOAD = "workload", "workload"
    EXPERTISE = "expertise", "needs specialist expertise"
    SHIFT_CHANGE = "shift_change", "shift change or handover"
    LOCATION = "location", "closer to the location"
    ESCALATION = "escalation", "escalated"
    OTHER = "other", "other (see hand-off note)"


class DelegationStatus(models.TextChoices):
    PROPOSED = "proposed", "awaiting acceptance"
    ACCEPTED = "accepted", "accepted"
    DECLINED = "declined", "declined"
    REVOKED = "revoked", "revoked"


class Role(models.TextChoices):
    """Roles granted explicitly. Reporter, supervisor, department head and top of hierarchy
    are derived from the organogram instead (see `arc.roles`)."""

    TENANT_ADMIN = "tenant_admin", "tenant admin"
    CATEGORY_CUSTODIAN = "category_custodian", "category custodian"
    AUDITOR = "auditor", "auditor"
    REGULATOR = "regulator", "regulator"
    EXTERNAL_PROVIDER = "external_provider", "external provider"
    INTEGRATION = "integration", "integration account"


class TokenScope(models.TextChoices):
    """What an integration account's API token may do. The JSON API checks these per endpoint."""

    INCIDENTS_READ = "incidents:read", "read incidents"
    INCIDENTS_WRITE = "incidents:write", "report incidents (detection sources)"
    EVIDENCE_WRITE = "evidence:write", "submit evidence"
    ORGANOGRAM_WRITE = "organogram:write", "send organogram changes (HR system)"
