"""Kernel models: tenants, users, the audit ledger, notifications and worker heartbeats."""

from iwms.models.audit import AuditChainHead, AuditEvent, MaintenanceUse
from iwms.models.heartbeat import Heartbeat
from iwms.models.notifications import Notification
from iwms.models.tenancy import Organisation, TenantQuerySet, TenantScopedModel
from iwms.models.users import User

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "Heartbeat",
    "MaintenanceUse",
    "Notification",
    "Organisation",
    "TenantQuerySet",
    "TenantScopedModel",
    "User",
]
