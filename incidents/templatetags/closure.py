"""Template tags of closure: the "Closure queue" item of the navigation, for people who
supervise anyone, and the closure panel of the incident page."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Exists
from django.urls import reverse
from django.utils.html import format_html

from incidents.models import Escalation, Incident
from iwms.models import User
from organogram.hierarchy import assignments_at

register = template.Library()


def supervises_anyone(user: User) -> bool:
    """One query: someone holds a position reporting to one the user holds, or something has
    escalated to the user."""
    if not user.is_authenticated or user.organisation_id is None:
        return False
    held = assignments_at().filter(person_id=user.pk).values("position_id")
    reports = assignments_at().filter(position__parent_id__in=held, position__is_active=True).exclude(person_id=user.pk)
    escalated = Escalation.objects.filter(to_person_id=user.pk)
    return User.objects.filter(pk=user.pk).filter(Exists(reports) | Exists(escalated)).exists()


@register.simple_tag(takes_context=True)
def closure_queue_nav_item(context: Any) -> str:
    user = context.get("user")
    # A page that has already found something for the user to decide says so on the request.
    known = getattr(context.get("request"), "closure_queue_visible", False)
    if user is None or not (known or supervises_anyone(user)):
        return ""
    return format_html(
        '<li><a href="{}" data-testid="nav-closure-queue">Closure queue</a></li>', reverse("closure_queue")
    )


@register.inclusion_tag("incidents/partials/closure_panel.html", takes_context=True)
def closure_panel(context: Any, incident: Incident) -> dict[str, Any]:
    from incidents.views.closure import panel_context

    return {**panel_context(context["request"], incident), "csrf_token": context.get("csrf_token")}
