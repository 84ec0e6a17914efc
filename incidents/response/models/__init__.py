"""Models of the response app."""

from incidents.response.models.comms import Communication, MessageTemplate, RecipientGroup, UpdateLapse
from incidents.response.models.record import IncidentNote, IncidentResponse, ResponseSettings
from incidents.response.models.review import ActionItem, PostIncidentReview
from incidents.response.models.roles import RoleAssignment, TenantRole

__all__ = [
    "ActionItem",
    "Communication",
    "IncidentNote",
    "IncidentResponse",
    "MessageTemplate",
    "PostIncidentReview",
    "RecipientGroup",
    "ResponseSettings",
    "RoleAssignment",
    "TenantRole",
    "UpdateLapse",
]
