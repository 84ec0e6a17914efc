"""Response roles on an incident and the roles a tenant adds to the built-in ones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import Incident
from incidents.response.choices import AssignmentStatus
from iwms.models import TenantScopedModel


class TenantRole(TenantScopedModel):
    """A response role a tenant defines beside commander, technical owner and communications
    lead: a scribe, a liaison to the regulator, …"""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="tenant_role_unique_code")]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(TenantScopedModel):
    """Who holds a response role on an incident. The first holder is designated; every later
    holder is proposed by a hand-over and holds the role once they accept it. At most one
    holder and one pending hand-over per role at any moment (the database says so)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="response_roles")
    role = models.CharField(max_length=40, help_text="A built-in role (RoleKind) or a tenant role's code.")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="response_roles")
    status = models.CharField(max_length=16, choices=AssignmentStatus.choices)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True, help_text="What the new holder should know.")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id", "role", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(status=AssignmentStatus.ACTIVE),
                name="response_role_one_holder",
            ),
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(status=AssignmentStatus.PROPOSED),
                name="response_role_one_handover",
            ),
        ]
        indexes = [models.Index(fields=["holder", "status"], name="response_role_holder_idx")]

    def __str__(self) -> str:
        return f"{self.role} of {self.incident_id}: {self.holder}"
