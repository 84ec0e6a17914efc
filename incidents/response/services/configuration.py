"""Adopting major-incident response for a tenant: its settings, the recipient groups of seed
001's communication plan and seed 004's message templates, as a starting point to edit."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from incidents.response.choices import Audience, GroupKind
from incidents.response.models import MessageTemplate, RecipientGroup, ResponseSettings, TenantRole
from iwms.audited_rows import save_audited
from iwms.models import Organisation, User
from organogram.models import Position

TEMPLATES = [
    (
        Audience.INTERNAL_TECHNICAL,
        "Technical update",
        "{reference} {severity} update {time}: {title}",
        "Status: {status}. Where: {location}. Commander: {commander}.\n\nWhat we know:\n\nWhat we are doing:\n\n"
        "Next update by {next_update}.",
    ),
    (
        Audience.MANAGEMENT,
        "Management update",
        "{severity} {reference}: {title}",
        "A {severity} incident is being handled at {location}. Commander: {commander}. Status: {status}.\n\n"
        "Impact:\n\nNext update by {next_update}.",
    ),
    (
        Audience.RESOLUTION,
        "Resolution notice",
        "Resolved: {reference} {title}",
        "{reference} at {location} is resolved ({time}). A blameless post-incident review follows.",
    ),
    (
        Audience.CUSTOMER,
        "Customer notice",
        "Service notice {time}",
        "We are dealing with an incident that may affect you. We will update you by {next_update}.",
    ),
    (
        Audience.PARTNER,
        "Partner notice",
        "Incident notice {reference}",
        "An incident at {location} may affect our joint operations. Our contact: {commander}.",
    ),
    (
        Audience.REGULATORY,
        "Regulatory notification",
        "Notification of incident {reference}",
        "We notify you of a {severity} incident at {location} detected on {time}: {title}.",
    ),
]


def adopt_response(
    *, tenant: Organisation, actor: Any, executives: list[Position] | None = None, it_staff: list[User] | None = None
) -> ResponseSettings:
    """Give the tenant response settings, the seven recipient groups (executives filled with the
    given positions) and the six message templates, each once, each on the ledger."""
    with transaction.atomic():
        config = ResponseSettings.objects.filter(organisation=tenant).first()
        if config is None:
            config = ResponseSettings(organisation=tenant)
            save_audited(obj=config, actor=actor, how="when response was adopted")
        for kind, label in GroupKind.choices:
            if not RecipientGroup.objects.filter(organisation=tenant, kind=kind).exists():
                group = RecipientGroup(organisation=tenant, kind=kind, name=label[0].upper() + label[1:])
                save_audited(obj=group, actor=actor, how="when response was adopted")
                if kind == GroupKind.EXECUTIVES and executives:
                    group.positions.set(executives)
                if kind == GroupKind.IT_STAFF and it_staff:
                    group.members.set(it_staff)
        for audience, name, subject, body in TEMPLATES:
            if not MessageTemplate.objects.filter(organisation=tenant, audience=audience).exists():
                template = MessageTemplate(
                    organisation=tenant, audience=audience, name=name, subject=subject, body=body
                )
                save_audited(obj=template, actor=actor, how="when response was adopted")
        if not TenantRole.objects.filter(organisation=tenant, code="scribe").exists():
            save_audited(obj=TenantRole(organisation=tenant, code="scribe", name="scribe"), actor=actor)
    return config
