"""Hooks of the triage slice in other pages: the decision tree of a category in the report
wizard, and the triage state on the incident page."""

from __future__ import annotations

from django import template

from incidents.models import Category, Incident
from incidents.triage import trees
from incidents.triage.models import TriageRecord
from incidents.triage.selectors import parsed_tree, tree_for

register = template.Library()


@register.inclusion_tag("triage/partials/wizard_tree.html")
def decision_tree_panel(category: Category | None) -> dict:
    questions = parsed_tree(tree_for(category)) if category is not None else None
    return {"category": category, "walk": trees.walk(questions, []) if questions else None}


@register.inclusion_tag("triage/partials/incident_triage.html")
def triage_panel(incident: Incident) -> dict:
    return {"incident": incident, "record": TriageRecord.objects.filter(incident=incident).first()}
