"""The incident page's hooks into the response app: the roles in its header."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.models import Incident
from incidents.response.choices import RoleKind
from incidents.response.gating import settings_of
from incidents.response.models import PostIncidentReview, RoleAssignment
from incidents.response.selectors import roles_on
from incidents.response.services.roles import role_label as label_of

register = template.Library()


@register.inclusion_tag("response/partials/incident_roles.html")
def response_header(incident: Incident) -> dict[str, Any]:
    roles = roles_on(incident)
    config = settings_of(incident)
    commander = next(r for r in roles if r["code"] == RoleKind.COMMANDER)
    return {
        "incident": incident,
        "roles": roles,
        "review": PostIncidentReview.objects.filter(incident=incident).first(),
        "commander_missing": bool(
            config
            and incident.severity in config.commander_severities
            and commander["holder"] is None
            and incident.status == "open"
        ),
    }


@register.filter
def role_label(assignment: RoleAssignment) -> str:
    return label_of(assignment.organisation_id, assignment.role)
