"""Template tag of the controls slice: the lineage, merged banner and merge/split actions of
the incident page."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.controls.views import PANEL_TEMPLATE, panel_context
from incidents.models import Incident

register = template.Library()


@register.inclusion_tag(PANEL_TEMPLATE, takes_context=True)
def controls_panel(context: Any, incident: Incident) -> dict[str, Any]:
    return {**panel_context(context["request"], incident), "csrf_token": context.get("csrf_token")}
