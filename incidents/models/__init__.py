"""Incident models: the category tree and the incident itself."""

from incidents.models.category import Category
from incidents.models.draft import ReportDraft
from incidents.models.incident import Incident, PoleEntity, ReferenceCounter

__all__ = ["Category", "Incident", "PoleEntity", "ReferenceCounter", "ReportDraft"]
