"""Models of the response app."""

from response.models.comms import Communication, MessageTemplate, RecipientGroup, UpdateLapse
from response.models.record import IncidentNote, IncidentResponse, ResponseSettings
from response.models.review import ActionItem, PostIncidentReview
from response.models.roles import RoleAssignment, TenantRole

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
