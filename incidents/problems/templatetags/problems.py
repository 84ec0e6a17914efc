"""`{% problem_panel incident %}`: the incident page's problems — which problems explain it,
linking it to one, raising one from it."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.models import Incident
from incidents.problems.policy import may_raise_problem
from incidents.problems.selectors import linkable_problems, problem_links_of

register = template.Library()


@register.inclusion_tag("problems/partials/incident_panel.html", takes_context=True)
def problem_panel(context: dict[str, Any], incident: Incident) -> dict[str, Any]:
    user = context["request"].user
    may_link = user.pk in (incident.owner_id, incident.responsible_id)
    return {
        "incident": incident,
        "links": list(problem_links_of(incident)),
        "may_link": may_link,
        "linkable": list(linkable_problems(incident)) if may_link else [],
        "may_raise": may_raise_problem(user),
        "csrf_token": context.get("csrf_token"),
    }
