"""Reads of the integrations pages, scoped to the admin's tenant; another tenant's id is the
same 404 as a missing one."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from arc.cross_tenant import not_found
from arc.models import ApiToken
from incidents.integrations.models import MappingRule, Source, SourceEvent, WebhookDelivery, WebhookEndpoint
from iwms.models import User

RECENT = 50


def sources_for(user: User) -> QuerySet[Source]:
    return (
        Source.objects.for_tenant(user.organisation_id)
        .select_related("category", "unit", "account")
        .annotate(event_count=Count("events"))
        .order_by("name", "pk")
    )


def get_source_for(user: User, source_id: int) -> Source:
    source = (
        Source.objects.for_tenant(user.organisation_id)
        .select_related("category", "unit", "account", "organisation")
        .filter(pk=source_id)
        .first()
    )
    if source is None:
        raise not_found(user, Source, "No such source.", pk=source_id)
    return source


def rules_of(source: Source) -> QuerySet[MappingRule]:
    return source.rules.select_related("category", "unit").order_by("order", "pk")


def tokens_of(source: Source) -> QuerySet[ApiToken]:
    return ApiToken.objects.for_tenant(source.organisation_id).filter(user_id=source.account_id).order_by("-created_at")


def recent_events(source: Source) -> QuerySet[SourceEvent]:
    return (
        SourceEvent.objects.filter(source=source)
        .select_related("incident")
        .defer("body")
        .order_by("-received_at", "-pk")[:RECENT]
    )


def endpoints_for(user: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_tenant(user.organisation_id).order_by("url", "pk")


def recent_deliveries(user: User) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.for_tenant(user.organisation_id)
        .select_related("endpoint")
        .defer("payload")
        .order_by("-created_at", "-pk")[:RECENT]
    )


def get_endpoint_for(user: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.for_tenant(user.organisation_id).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise not_found(user, WebhookEndpoint, "No such webhook.", pk=endpoint_id)
    return endpoint


def get_delivery_for(user: User, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.for_tenant(user.organisation_id)
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise not_found(user, WebhookDelivery, "No such delivery.", pk=delivery_id)
    return delivery
