"""`{% inbox_badge %}`: the header's inbox link with the signed-in person's unread count
(the same fragment that `/inbox/badge/` serves to the header's HTMX refresh). In a page the
count comes with the header's navigation row, read once per request."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.navigation import navigation_for

register = template.Library()


@register.inclusion_tag("incidents/partials/inbox_badge.html", takes_context=True)
def inbox_badge(context: dict[str, Any]) -> dict[str, Any]:
    return {"unread": navigation_for(context["request"]).unread}
