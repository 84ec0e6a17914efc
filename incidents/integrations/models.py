"""Registered detection sources with their mapping rules, the events they send (kept raw and
bounded), the dedup threads that tie repeated events to one incident, and outbound webhooks
with their delivery log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from incidents.choices import IncidentKind, Severity
from incidents.integrations.choices import DeliveryStatus, EventAction, EventOutcome, SourceKind
from iwms.models import TenantScopedModel


class Source(TenantScopedModel):
    """A detection source or business system registered by a tenant admin. It sends events
    as its own integration account (`account`), whose tokens authenticate it; its defaults and
    mapping rules turn an event into an incident's category, kind, severity and unit."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, help_text="Unique per tenant; part of each incident's source reference.")
    kind = models.CharField(max_length=32, choices=SourceKind.choices)
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="detection_source")
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.PROTECT, related_name="+", help_text="Used when no rule matches."
    )
    incident_kind = models.CharField(max_length=32, choices=IncidentKind.choices, default=IncidentKind.INCIDENT)
    unit = models.ForeignKey(
        "organogram.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where its events happen when a rule does not say (the top of the organogram if empty).",
    )
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="Events until then are kept and audited but create nothing."
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "slug"], name="source_slug_per_tenant")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class MappingRule(TenantScopedModel):
    """How matching events of a source become an incident: the first rule (by `order`) whose
    conditions all hold decides; an empty condition matches anything. A rule may hold events
    below a threshold (N events under one dedup key within a window) or suppress them."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="rules")
    order = models.PositiveIntegerField(default=100)
    match_event_type = models.CharField(max_length=100, blank=True)
    match_severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    match_field = models.CharField(max_length=100, blank=True, help_text="A top-level payload field…")
    match_value = models.CharField(max_length=200, blank=True, help_text="…that must equal this text.")
    category = models.ForeignKey("incidents.Category", on_delete=models.PROTECT, null=True, blank=True)
    incident_kind = models.CharField(max_length=32, choices=IncidentKind.choices, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True, help_text="Overrides the event's.")
    unit = models.ForeignKey("organogram.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    threshold_count = models.PositiveIntegerField(default=1)
    threshold_window_seconds = models.PositiveIntegerField(default=300)
    suppress = models.BooleanField(default=False, help_text="Keep and audit matching events; create nothing.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold_count__gte=1), name="mappingrule_threshold_positive")
        ]

    def __str__(self) -> str:
        return f"rule {self.order} of {self.source}"


class DedupThread(TenantScopedModel):
    """The events of one source under one dedup key: the incident they currently attach to and
    how many occurrences it has had. Locked for each event, so concurrent triggers with one key
    make one incident."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="threads")
    dedup_key = models.CharField(max_length=255)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurrences = models.PositiveIntegerField(default=0, help_text="Occurrences attached to `incident`.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["source", "dedup_key"], name="dedupthread_one_per_key")]

    def __str__(self) -> str:
        return f"{self.source.slug}:{self.dedup_key}"


class SourceEvent(TenantScopedModel):
    """One event as a source sent it (the body kept as received, bounded in size) and what
    intake did with it."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=EventAction.choices)
    dedup_key = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100, blank=True)
    summary = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    source_reference = models.CharField(max_length=120, blank=True)
    body = models.JSONField(help_text="The event as received (bounded by the API).")
    received_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=16, choices=EventOutcome.choices)
    rule = models.ForeignKey(MappingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurrence = models.PositiveIntegerField(null=True, blank=True, help_text="Its number on the incident.")

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["source", "dedup_key", "received_at"], name="sourceevent_key_time_idx"),
            models.Index(fields=["incident", "occurrence"], name="sourceevent_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.dedup_key} from {self.source.slug}"


class WebhookEndpoint(TenantScopedModel):
    """A URL a tenant admin subscribed to event types. Deliveries are signed with `secret`;
    after `settings.IWMS_WEBHOOK_MAX_FAILURES` failed deliveries in a row it is disabled."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantScopedModel):
    """One event sent (or being sent) to one endpoint: its payload, attempts and last answer."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    resent_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint}"
