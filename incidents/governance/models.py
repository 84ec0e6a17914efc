"""Organogram governance records: the structure changes made on the organogram pages, the
monthly verifications and their snapshots, and the HR events received."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.governance.choices import HrEventKind, HrEventStatus, StructureChangeKind
from iwms.models import TenantScopedModel
from organogram.models import OrgUnit, Position


class StructureChange(TenantScopedModel):
    """One effective-dated change made through the organogram pages: what changed, from
    when, why and by whom. The rows of the organogram hold the change itself; this is the
    unit's change history in the words of the person who made it. Never updated."""

    kind = models.CharField(max_length=24, choices=StructureChangeKind.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="structure_changes")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="structure_changes")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    summary = models.CharField(max_length=400)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "created_at"], name="structurechange_unit_idx")]

    def __str__(self) -> str:
        return self.summary


class Verification(TenantScopedModel):
    """The monthly organogram verification of one unit: the system-generated incident its
    department head works, and — once they sign it off — the verified snapshot of the rows
    they confirmed or corrected (who verified what, when)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="verifications")
    period = models.DateField(help_text="The first day of the month verified.")
    incident_id = models.BigIntegerField(help_text="The organogram-verification incident.")
    incident_reference = models.CharField(max_length=32)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.JSONField(default=list, blank=True, help_text="The rows as verified, each with its verdict.")
    sign_off = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="verification_once_per_unit_month")]

    def __str__(self) -> str:
        return f"{self.unit} {self.period:%Y-%m}"


class HrEvent(TenantScopedModel):
    """A hire, transfer, promotion or termination from the HR system (API) or a tenant admin's
    form, kept as received — also when it names an unknown person or position, which is then
    raised as a mismatch instead of being dropped."""

    kind = models.CharField(max_length=16, choices=HrEventKind.choices)
    external_id = models.CharField(max_length=100, blank=True, help_text="The HR system's own id of the event.")
    payload = models.JSONField(help_text="The event as received.")
    received_via = models.CharField(max_length=16)
    effective_at = models.DateTimeField()
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.ForeignKey(Position, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=HrEventStatus.choices)
    outcome = models.JSONField(default=dict, blank=True, help_text="What was applied, handed over and revoked.")
    mismatch_reference = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], condition=~Q(external_id=""), name="hrevent_unique_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.payload.get('person', '?')} ({self.status})"


class StructuralFinding(TenantScopedModel):
    """Something the nightly structural check (seed 000 §12) found wrong in the organogram,
    raised once as an organogram-mismatch incident for the department head and kept open
    until a later check no longer finds it."""

    key = models.CharField(max_length=200, help_text="What was found, stable across runs.")
    kind = models.CharField(max_length=32)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=400)
    incident_reference = models.CharField(max_length=32, blank=True)
    found_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resolved_at", "-found_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"], condition=Q(resolved_at__isnull=True), name="finding_open_once"
            )
        ]

    def __str__(self) -> str:
        return self.detail


class CheckRun(TenantScopedModel):
    """One nightly structural check of a tenant: the day it ran for, so beat runs it once."""

    day = models.DateField()
    found = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["organisation", "day"], name="checkrun_once_a_day")]

    def __str__(self) -> str:
        return f"structural check of {self.day}"
