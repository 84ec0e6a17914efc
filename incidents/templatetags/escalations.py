"""Filters for clocks on pages: time to a deadline and the lag of an acknowledgement."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template

from incidents.core.clocks import duration_text
from incidents.core.clocks import time_to as time_to_deadline

register = template.Library()


@register.filter
def time_to(moment: datetime | None) -> str:
    """'in 12 min' or 'overdue by 1 h 05 min'."""
    return time_to_deadline(moment)


@register.filter
def lag(duration: timedelta | None) -> str:
    return "—" if duration is None else duration_text(duration)
