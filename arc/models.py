"""ARC models: accountability rules, the delegation trace, role grants and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from arc.choices import DelegationReason, DelegationScope, DelegationStatus, Role
from iwms.models import TenantScopedModel
from organogram.models import OrgUnit, Position


class AccountabilityRule(TenantScopedModel):
    """Which position is accountable (the owner) for items of a kind and/or category subtree
    arising in an org unit subtree. The most specific matching rule wins (see
    `arc.accountability`). Categories are named by their stable dotted code ("SAF.GEO"
    covers "SAF.GEO.FOG"), so this layer does not depend on the incidents app."""

    kind = models.CharField(max_length=32, blank=True, help_text="Incident kind; blank for any kind.")
    category_code = models.CharField(
        max_length=100, blank=True, help_text="Stable category code; covers its subtree. Blank for any."
    )
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="accountability_rules",
        help_text="Applies to this unit and every unit below it.",
    )
    accountable_position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="accountable_for")
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__name", "category_code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "unit", "kind", "category_code"],
                condition=Q(is_active=True),
                name="accountability_one_active_rule_per_scope",
            )
        ]

    def __str__(self) -> str:
        scope = " / ".join(filter(None, [self.kind, self.category_code])) or "anything"
        return f"{scope} in {self.unit} → {self.accountable_position}"


class Delegation(FSMModelMixin, TenantScopedModel):
    """One hand-off of responsibility: the ARC trace. Accountability never moves with it —
    there is deliberately no owner field here to change."""

    subject_type = models.CharField(max_length=100, help_text="What is delegated, e.g. incidents.incident.")
    subject_id = models.CharField(max_length=64)
    scope = models.CharField(max_length=16, choices=DelegationScope.choices)
    from_person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_made")
    to_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received"
    )
    reason_code = models.CharField(max_length=16, choices=DelegationReason.choices)
    handoff_note = models.TextField()
    requires_acceptance = models.BooleanField(default=False)
    status = FSMField(
        max_length=16, choices=DelegationStatus.choices, default=DelegationStatus.PROPOSED, protected=True
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_person=models.F("to_person")), name="delegation_not_to_self"),
        ]
        indexes = [models.Index(fields=["organisation", "subject_type", "subject_id"], name="delegation_subject_idx")]

    def __str__(self) -> str:
        return f"{self.from_person} → {self.to_person} ({self.get_scope_display()})"

    @transition(
        field=status,
        source=DelegationStatus.PROPOSED,
        target=DelegationStatus.ACCEPTED,
        permission=lambda delegation, user: user.pk == delegation.to_person_id,
    )
    def accept(self, *, at: object, note: str = "") -> None:
        self.accepted_at = at
        self.decided_note = note

    @transition(
        field=status,
        source=DelegationStatus.PROPOSED,
        target=DelegationStatus.DECLINED,
        permission=lambda delegation, user: user.pk == delegation.to_person_id,
    )
    def decline(self, *, note: str) -> None:
        self.decided_note = note

    @transition(
        field=status,
        source=[DelegationStatus.PROPOSED, DelegationStatus.ACCEPTED],
        target=DelegationStatus.REVOKED,
        permission=lambda delegation, user: user.pk == delegation.from_person_id,
    )
    def revoke(self, *, note: str) -> None:
        self.decided_note = note


class RoleGrant(TenantScopedModel):
    """An explicitly granted role, optionally time-limited. Revoked grants stay as history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(max_length=24, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(revoked_at__isnull=True), name="rolegrant_one_live_grant_per_role"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("starts_at")),
                name="rolegrant_expires_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()}"


class ApiToken(TenantScopedModel):
    """An integration account's credential for the JSON API. Only the SHA-256 of the token is
    stored (the token itself is shown once, when issued), with a short public prefix to find
    the row; a token carries scopes, may expire and is revoked rather than deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'RADAM detections'.")
    scopes = models.JSONField(default=list, help_text="What the token may do (see arc.choices.TokenScope).")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        indexes = [models.Index(fields=["organisation", "user"], name="apitoken_tenant_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) for {self.user}"
