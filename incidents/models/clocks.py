"""What the SLA sweep records, each exactly once per clock cycle (unique constraints):
breaches, breach-risk warnings, escalations up the organogram, and maturity signals. A
reopened incident starts a new cycle (`Incident.clock_cycle`): the earlier cycle's records stay,
and the new cycle's clocks warn, breach and escalate afresh."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.choices import ClockKind, SignalKind
from incidents.models.incident import Incident
from iwms.models import TenantScopedModel
from organogram.models import OrgUnit, Position


class Breach(TenantScopedModel):
    """A deadline missed. Recorded once per clock cycle and clock (and per step, request or
    decision round for those clocks); it stays recorded even if severity is later lowered."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="breaches")
    cycle = models.PositiveIntegerField(
        default=0, help_text="The incident's clock cycle: 0 until its first reopen, then one more per reopen."
    )
    clock = models.CharField(max_length=16, choices=ClockKind.choices)
    subject_key = models.CharField(
        max_length=64, blank=True, default="", help_text="Step or request id for those clocks; blank otherwise."
    )
    due_at = models.DateTimeField()
    breached_at = models.DateTimeField()
    severity = models.CharField(max_length=8, help_text="The incident's severity when the breach happened.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["breached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "cycle", "clock", "subject_key"], name="breach_once_per_cycle_and_clock"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} breached on {self.incident_id}"


class BreachWarning(TenantScopedModel):
    """The breach-risk warning at a share of the time (default 75 %), sent once per clock to
    the owner, the responsible person and the supervisor (the deciders, for the closure
    decision's clock)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="breach_warnings")
    cycle = models.PositiveIntegerField(
        default=0, help_text="The incident's clock cycle: 0 until its first reopen, then one more per reopen."
    )
    clock = models.CharField(max_length=16, choices=ClockKind.choices)
    subject_key = models.CharField(max_length=64, blank=True, default="")
    due_at = models.DateTimeField()
    warned_at = models.DateTimeField()
    mitigation_requested = models.BooleanField(default=False, help_text="SEV-1/SEV-2: a mitigation note is asked for.")
    mitigation_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["warned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "cycle", "clock", "subject_key"], name="breachwarning_once_per_cycle_and_clock"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} at risk on {self.incident_id}"


class Escalation(TenantScopedModel):
    """One step up the organogram: level 1 is the responsible person's supervisor, then the
    department head, then the top. It must be acknowledged; the lag is kept."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    cycle = models.PositiveIntegerField(
        default=0, help_text="The incident's clock cycle: 0 until its first reopen, then one more per reopen."
    )
    to_person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalations")
    to_position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="escalations")
    reason = models.CharField(max_length=300)
    escalated_at = models.DateTimeField()
    ack_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ack_lag = models.DurationField(null=True, blank=True, help_text="From escalation to acknowledgement.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "cycle", "level"], name="escalation_once_per_cycle_and_level")
        ]
        indexes = [
            models.Index(
                fields=["ack_due_at"], condition=Q(acknowledged_at__isnull=True), name="escalation_unacked_due_idx"
            ),
            models.Index(fields=["organisation", "to_person", "acknowledged_at"], name="escalation_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"Level {self.level} escalation of {self.incident_id} to {self.to_person}"


class MaturitySignal(TenantScopedModel):
    """Something the organisation should learn from (escalation reaching the top, overridden
    reviews, vacant supervisors, mismatches), counted per unit for assurance metrics."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="maturity_signals")
    kind = models.CharField(max_length=24, choices=SignalKind.choices)
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="maturity_signals"
    )
    detail = models.CharField(max_length=300)
    cycle = models.PositiveIntegerField(
        default=0, help_text="The incident's clock cycle: 0 until its first reopen, then one more per reopen."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "incident", "cycle"],
                condition=Q(incident__isnull=False),
                name="maturitysignal_once_per_incident_cycle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.unit}"
