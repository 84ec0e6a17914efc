"""Grants: object-scoped, time-limited read access for auditors, regulators and external
providers (DESIGN.md "Access"), django-guardian's direct foreign-key permission tables for
incidents and evidence, and the audit packs a grantee exports."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from incidents.choices import AuditPackStatus, GrantStanding
from incidents.models.category import Category
from incidents.models.incident import Incident
from iwms.models import TenantScopedModel
from workflows.models import Evidence


class AccessGrant(TenantScopedModel):
    """Read access for one grantee to a scope of incidents: an explicit set (`incidents`), or
    a category subtree (the category and every category whose dotted code starts with its
    code) reported within a date range. Requested by the owner of the incidents (a subtree also
    by its category custodian or a tenant admin: `requested_as`), issued by a tenant admin; live
    from issue until it expires or is revoked. A subtree covers the incidents that existed when
    it was issued, and later ones only when `covers_later_incidents` says so (for an owner, only
    later ones they own). `evidence_kinds` empty means every kind of evidence is visible."""

    grantee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants")
    incidents = models.ManyToManyField(Incident, through="GrantedIncident", related_name="+", blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A category subtree instead of an explicit set of incidents.",
    )
    reported_from = models.DateTimeField(null=True, blank=True, help_text="Subtree scope: reported at or after.")
    reported_until = models.DateTimeField(null=True, blank=True, help_text="Subtree scope: reported before.")
    covers_later_incidents = models.BooleanField(
        default=False,
        help_text="Subtree scope: also incidents reported after the grant is issued (an owner's own ones only). "
        "Off: only the incidents that existed when it was issued.",
    )
    requested_as = models.CharField(
        max_length=32,
        choices=GrantStanding.choices,
        default=GrantStanding.OWNER,
        help_text="The requester's standing over the scope when they asked.",
    )
    evidence_kinds = models.JSONField(default=list, blank=True, help_text="Kinds of evidence visible; empty: all.")
    purpose = models.TextField()
    expires_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reported_from__isnull=True)
                | Q(reported_until__isnull=True)
                | Q(reported_until__gt=models.F("reported_from")),
                name="accessgrant_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(issued_at__isnull=True) | Q(issued_by__isnull=False), name="accessgrant_issued_by_someone"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revocation_reason=""), name="accessgrant_revocation_reason"
            ),
        ]
        indexes = [models.Index(fields=["grantee", "expires_at"], name="accessgrant_grantee_idx")]

    def __str__(self) -> str:
        return f"grant #{self.pk} to {self.grantee}"

    def is_live(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.issued_at is not None and self.revoked_at is None and self.expires_at > at

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked" if self.issued_at is not None else "declined"
        if self.issued_at is None:
            return "requested"
        return "live" if self.expires_at > timezone.now() else "expired"

    @property
    def is_subtree(self) -> bool:
        return self.category_id is not None


class GrantedIncident(TenantScopedModel):
    """One incident of a grant's explicit set (the many-to-many's direct foreign-key table)."""

    grant = models.ForeignKey(AccessGrant, on_delete=models.CASCADE, related_name="granted_incidents")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grant_id", "incident_id"]
        constraints = [models.UniqueConstraint(fields=["grant", "incident"], name="grantedincident_unique")]
        indexes = [models.Index(fields=["incident", "grant"], name="grantedincident_incident_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} in grant #{self.grant_id}"


class IncidentUserObjectPermission(UserObjectPermissionBase):
    """guardian's per-user permission on one incident, in a table with a real foreign key
    (indexed), so checks never touch guardian's generic table."""

    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="user_permissions")

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "content_object"], name="incident_uperm_user_idx")]


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    """guardian's per-group permission on one incident (direct foreign key)."""

    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="group_permissions")

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class EvidenceUserObjectPermission(UserObjectPermissionBase):
    """guardian's per-user permission on one item of evidence (direct foreign key): an
    external provider's view of the evidence they submitted themselves."""

    content_object = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="user_permissions")

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "content_object"], name="evidence_uperm_user_idx")]


class EvidenceGroupObjectPermission(GroupObjectPermissionBase):
    """guardian's per-group permission on one item of evidence (direct foreign key)."""

    content_object = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="group_permissions")

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class AuditPack(TenantScopedModel):
    """A zip of a grant's scope for offline audit, generated in the background: the
    incidents as JSON, their evidence files, the ledger slice, a manifest of SHA-256 hashes
    and the chain's verification result. `percent` is the progress the portal shows."""

    grant = models.ForeignKey(AccessGrant, on_delete=models.PROTECT, related_name="audit_packs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AuditPackStatus.choices, default=AuditPackStatus.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    file_path = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="auditpack_percent_at_most_100"),
            models.CheckConstraint(
                condition=~Q(status=AuditPackStatus.READY) | (~Q(file_path="") & ~Q(sha256="")),
                name="auditpack_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"audit pack #{self.pk} ({self.get_status_display()})"
