"""Incident models: the category tree, SLA policies and the incident itself."""

from incidents.models.category import Category
from incidents.models.draft import ReportDraft
from incidents.models.incident import Incident, PoleEntity, ReferenceCounter
from incidents.models.sla import SlaPolicy

__all__ = ["Category", "Incident", "PoleEntity", "ReferenceCounter", "ReportDraft", "SlaPolicy"]
