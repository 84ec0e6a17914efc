"""Choices of the kernel: audit actions and actor kinds."""

from django.db import models


class AuditAction(models.TextChoices):
    """The ledger's verbs: the seed vocabulary (001 IMS policy) plus IWMS's own."""

    IDENTIFY = "identify", "identify"
    CREATE = "create", "create"
    READ = "read", "read"
    UPDATE = "update", "update"
    NOTIFY = "notify", "notify"
    ESCALATE = "escalate", "escalate"
    RESOLVE = "resolve", "resolve"
    CLOSE = "close", "close"
    REVIEW = "review", "review"
    KB_UPDATE = "kb_update", "knowledge base update"
    VENDOR_ENGAGEMENT = "vendor_engagement", "vendor engagement"
    SIMULATION = "simulation", "simulation"
    TOOL_USE = "tool_use", "tool use"
    LINK = "link", "link"
    TRANSITION = "transition", "transition"
    DELEGATE = "delegate", "delegation"
    ASSIGN = "assign", "assignment"
    LOGIN = "login", "login"
    MAINTENANCE = "maintenance", "ledger maintenance"
    TRANSITION_DENIED = "transition_denied", "transition denied"
    ACCESS_DENIED = "access_denied", "access denied"
    INPUT_REFUSED = "input_refused", "input refused"


class ActorKind(models.TextChoices):
    USER = "user", "user"
    INTEGRATION = "integration", "integration account"
    SYSTEM = "system", "system"


class NotificationDelivery(models.TextChoices):
    """How a person gets their notifications by e-mail (the inbox always has every one)."""

    IMMEDIATE = "immediate", "each one by e-mail as it happens"
    HOURLY = "hourly", "an hourly digest"
    DAILY = "daily", "a daily digest"
