"""The problem's states and where a problem was detected (seed 001, "Problem Tickets")."""

from django.db import models


class ProblemStatus(models.TextChoices):
    """Create → under investigation → workaround available (known error) → resolved → closed."""

    LOGGED = "logged", "logged"
    UNDER_INVESTIGATION = "under_investigation", "under investigation"
    KNOWN_ERROR = "known_error", "known error (workaround available)"
    RESOLVED = "resolved", "resolved"
    CLOSED = "closed", "closed"


ACTIVE_STATUSES = (ProblemStatus.LOGGED, ProblemStatus.UNDER_INVESTIGATION, ProblemStatus.KNOWN_ERROR)


class DetectionSource(models.TextChoices):
    """How the problem came to light."""

    INCIDENT = "incident", "raised from an incident"
    INCIDENT_TREND = "incident_trend", "trend of recurring incidents"
    MONITORING_TOOL = "monitoring_tool", "monitoring tool"
    AUTOMATED_ALERT = "automated_alert", "automated alert"
    USER_REPORT = "user_report", "user report"
    PROACTIVE = "proactive", "proactive analysis"
