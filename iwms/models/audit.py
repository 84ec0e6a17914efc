"""The append-only audit ledger: one hash chain per tenant.

Rows are only ever inserted, by `iwms.audit.record_event`. The database refuses UPDATE,
DELETE and TRUNCATE on this table (see `iwms.db_guards`); `manage.py verify_audit` recomputes
every hash and proves the chain.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from iwms.choices import ActorKind, AuditAction
from iwms.models.tenancy import Organisation


class AuditEvent(models.Model):
    """One governed action, refusal or read, linked to its predecessor by hash."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField(help_text="Position in the tenant's chain, from 1.")
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=True,
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["organisation_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "seq"], name="audit_one_event_per_seq"),
        ]
        indexes = [
            models.Index(fields=["organisation", "object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["organisation", "created_at"], name="audit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The tip of a tenant's chain. Locking this row serialises appends for one tenant only,
    so two transactions can never fork the chain and tenants never wait on each other."""

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, primary_key=True, related_name="+")
    last_seq = models.PositiveBigIntegerField(default=0)
    prev_hash = models.CharField(max_length=64, default="0" * 64, help_text="The hash before `last_hash`.")
    last_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id"]

    def __str__(self) -> str:
        return f"chain head of tenant {self.organisation_id} at #{self.last_seq}"


class MaintenanceUse(models.Model):
    """One use of the maintenance bypass of the append-only rule, written by the database
    itself: on PostgreSQL the guard trigger records every table and operation a transaction
    changed under the bypass (whatever client ran it — the application's `maintenance()` or
    raw SQL of a maintenance role member); on SQLite `maintenance()` records the block. The
    table is append-only like the ledger."""

    created_at = models.DateTimeField()
    session_role = models.CharField(max_length=63, help_text="The database login that used the bypass.")
    table_name = models.CharField(max_length=63, blank=True, help_text="Empty: every append-only table (SQLite).")
    operation = models.CharField(max_length=16)
    reason = models.TextField(blank=True)
    transaction_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction_id", "table_name", "operation"], name="maintenance_use_once_per_transaction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} on {self.table_name or 'every append-only table'} by {self.session_role}"
