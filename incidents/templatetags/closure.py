"""Template tags of closure: the "Closure queue" item of the navigation, for people who
supervise anyone, and the closure panel of the incident page."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from incidents.core.navigation import navigation_for
from incidents.models import Incident

register = template.Library()


@register.simple_tag(takes_context=True)
def closure_queue_nav_item(context: Any) -> str:
    user = context.get("user")
    # A page that has already found something for the user to decide says so on the request.
    request = context.get("request")
    known = getattr(request, "closure_queue_visible", False)
    if user is None or not (known or (request is not None and navigation_for(request).closure_queue)):
        return ""
    return format_html(
        '<li><a href="{}" data-testid="nav-closure-queue">Closure queue</a></li>', reverse("closure_queue")
    )


@register.inclusion_tag("incidents/partials/closure_panel.html", takes_context=True)
def closure_panel(context: Any, incident: Incident) -> dict[str, Any]:
    from incidents.closure.views.closure import panel_context

    return {**panel_context(context["request"], incident), "csrf_token": context.get("csrf_token")}
