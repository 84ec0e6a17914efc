"""`{% inbox_badge %}`: the header's inbox link with the signed-in person's unread count
(the same fragment that `/inbox/badge/` serves to the header's HTMX refresh)."""

from __future__ import annotations

from typing import Any

from django import template

from iwms.notifications import unread_count

register = template.Library()


@register.inclusion_tag("incidents/partials/inbox_badge.html", takes_context=True)
def inbox_badge(context: dict[str, Any]) -> dict[str, Any]:
    user = context["user"]
    return {"unread": unread_count(user)}
