"""The integrations slice's rows in the Django admin, read-only: sources, their events and webhooks
(managed on the integrations pages) are written by the slice's services only."""

from django.contrib import admin

from incidents.integrations.models import (
    DedupThread,
    MappingRule,
    Source,
    SourceEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from iwms.admin import ReadOnlyAdmin

for model in (Source, MappingRule, DedupThread, SourceEvent, WebhookEndpoint, WebhookDelivery):
    admin.site.register(model, ReadOnlyAdmin)
