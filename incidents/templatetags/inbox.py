"""`{% inbox_badge %}`: the header's inbox link with the signed-in person's unread count
(the same fragment that `/inbox/badge/` serves to the header's HTMX refresh). In a page the
count comes with the header's navigation row, read once per request."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.core.navigation import navigation_for
from iwms.notifications import unread_count

register = template.Library()


@register.inclusion_tag("incidents/partials/inbox_badge.html", takes_context=True)
def inbox_badge(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    if request is None:  # rendered outside a request: ask on its own
        return {"unread": unread_count(context["user"])}
    return {"unread": navigation_for(request).unread}
