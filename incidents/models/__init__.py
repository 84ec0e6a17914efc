"""Incident models: the category tree, SLA policies and the incident itself."""

from incidents.models.category import Category
from incidents.models.clocks import Breach, BreachWarning, Escalation, MaturitySignal
from incidents.models.closure import ClosureDecision
from incidents.models.draft import ReportDraft
from incidents.models.grants import (
    AccessGrant,
    AuditPack,
    EvidenceGroupObjectPermission,
    EvidenceUserObjectPermission,
    GrantedIncident,
    IncidentGroupObjectPermission,
    IncidentUserObjectPermission,
)
from incidents.models.incident import Incident, PoleEntity, ReferenceCounter
from incidents.models.sla import SeverityDefinition, SlaPolicy

__all__ = [
    "AccessGrant",
    "AuditPack",
    "Breach",
    "BreachWarning",
    "Category",
    "ClosureDecision",
    "Escalation",
    "EvidenceGroupObjectPermission",
    "EvidenceUserObjectPermission",
    "GrantedIncident",
    "Incident",
    "IncidentGroupObjectPermission",
    "IncidentUserObjectPermission",
    "MaturitySignal",
    "PoleEntity",
    "ReferenceCounter",
    "ReportDraft",
    "SeverityDefinition",
    "SlaPolicy",
]
