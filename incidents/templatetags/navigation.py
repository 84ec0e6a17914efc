"""The header's links that depend on who is signed in (see `incidents.navigation`)."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.core.navigation import NOTHING, navigation_for

register = template.Library()


@register.simple_tag(takes_context=True)
def navigation(context: Any) -> Any:
    request = context.get("request")
    return navigation_for(request) if request is not None else NOTHING
