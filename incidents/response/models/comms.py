"""Communications: recipient groups, message templates, every message sent and every update
that was late."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from incidents.choices import Severity
from incidents.models import Incident
from incidents.response.choices import Audience, GroupKind
from iwms.models import TenantScopedModel


class RecipientGroup(TenantScopedModel):
    """People, positions' holders and plain addresses a message goes to as one audience."""

    kind = models.CharField(max_length=24, choices=GroupKind.choices)
    name = models.CharField(max_length=120)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    positions = models.ManyToManyField("organogram.Position", blank=True, related_name="+")
    addresses = models.TextField(blank=True, help_text="Further e-mail addresses, one per line.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="recipient_group_unique_name")]

    def __str__(self) -> str:
        return self.name


class MessageTemplate(TenantScopedModel):
    """A message per audience and (optionally) severity; `{reference}`, `{title}`, `{severity}`,
    `{status}`, `{location}`, `{commander}`, `{next_update}` and `{time}` are filled in from the
    incident, and the sender edits the result before sending."""

    audience = models.CharField(max_length=24, choices=Audience.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True, help_text="Blank: any severity.")
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id", "audience", "severity", "name"]

    def __str__(self) -> str:
        return self.name


class Communication(TenantScopedModel):
    """One message sent about an incident: to whom (the groups and every address resolved at the
    moment of sending), by whom, when, and whether it came after its update was due."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="communications")
    audience = models.CharField(max_length=24, choices=Audience.choices)
    groups = models.ManyToManyField(RecipientGroup, related_name="communications")
    recipients = models.JSONField(default=list, help_text="Every address it went to.")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    automatic = models.BooleanField(default=False, help_text="Sent by IWMS itself (executives on SEV-1/2).")
    due_at = models.DateTimeField(null=True, blank=True, help_text="When the update it answers was due.")
    sent_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id", "sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.sent_at:%d %b %H:%M})"

    @property
    def late(self) -> bool:
        return self.due_at is not None and self.sent_at > self.due_at


class UpdateLapse(TenantScopedModel):
    """An update that was not sent by its due time (seed 004's communication-compliance KPI);
    recorded once per incident and due time by the cadence sweep."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="update_lapses")
    due_at = models.DateTimeField()
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id", "due_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "due_at"], name="update_lapse_once")]

    def __str__(self) -> str:
        return f"update of {self.incident_id} due {self.due_at:%d %b %H:%M} was late"
