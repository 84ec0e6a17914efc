"""Who may do what in the response to an incident. Pages grey out what this refuses; the
services refuse it with the same reason."""

from __future__ import annotations

from incidents.models import Incident
from incidents.response.choices import AssignmentStatus, ReviewStatus, RoleKind
from incidents.response.models import IncidentNote, PostIncidentReview, RoleAssignment
from iwms.decisions import ALLOWED, Decision
from iwms.models import User


def active_holders(incident: Incident) -> dict[str, int]:
    """Role → holder id of the roles held now."""
    return dict(
        RoleAssignment.objects.filter(incident=incident, status=AssignmentStatus.ACTIVE).values_list(
            "role", "holder_id"
        )
    )


def _tenant(user: User, incident: Incident) -> Decision | None:
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return Decision(False, "This incident belongs to another organisation.")
    return None


def is_responder(user: User, incident: Incident, holders: dict[str, int] | None = None) -> bool:
    """The owner, the responsible person and every holder of a response role."""
    holders = active_holders(incident) if holders is None else holders
    return user.pk in {incident.owner_id, incident.responsible_id, *holders.values()}


def may_respond(user: User, incident: Incident) -> Decision:
    """Write notes, record the response's moments: the responders."""
    if (refusal := _tenant(user, incident)) is not None:
        return refusal
    if not is_responder(user, incident):
        return Decision(False, "Only the owner, the responsible person and the response roles' holders respond.")
    return ALLOWED


def may_assign_role(user: User, incident: Incident, role: str) -> Decision:
    """Designate a holder or hand a role over: the owner, the responsible person, the commander,
    or the role's own holder handing it on."""
    if (refusal := _tenant(user, incident)) is not None:
        return refusal
    holders = active_holders(incident)
    if user.pk in {incident.owner_id, incident.responsible_id, holders.get(RoleKind.COMMANDER), holders.get(role)}:
        return ALLOWED
    return Decision(False, "Roles are designated by the owner, the responsible person or the commander.")


def may_decide_handover(user: User, assignment: RoleAssignment) -> Decision:
    if assignment.status != AssignmentStatus.PROPOSED:
        return Decision(False, "This hand-over has already been decided.", code="response.handover_closed")
    if user.pk != assignment.holder_id:
        return Decision(False, f"Only {assignment.holder}, to whom it is handed, accepts or declines it.")
    return ALLOWED


def may_edit_note(user: User, note: IncidentNote) -> Decision:
    if user.pk != note.author_id:
        return Decision(False, "Only its author edits a note.")
    if not note.editable:
        return Decision(
            False, "The note's edit window has passed; it is part of the record now.", "response.note_locked"
        )
    return ALLOWED


def may_communicate(user: User, incident: Incident) -> Decision:
    """Send updates: the communications lead, the commander or the owner."""
    if (refusal := _tenant(user, incident)) is not None:
        return refusal
    holders = active_holders(incident)
    allowed = {incident.owner_id, holders.get(RoleKind.COMMANDER), holders.get(RoleKind.COMMUNICATIONS_LEAD)}
    if user.pk not in allowed:
        return Decision(False, "Updates are sent by the communications lead, the commander or the owner.")
    return ALLOWED


def may_write_review(user: User, review: PostIncidentReview) -> Decision:
    if (refusal := _tenant(user, review.incident)) is not None:
        return refusal
    if review.status == ReviewStatus.ACCEPTED:
        return Decision(False, "The review has been accepted; it is part of the record now.", "response.review_state")
    if user.pk != review.owner_id and not is_responder(user, review.incident):
        return Decision(False, f"The review is written by its owner, {review.owner}, and the responders.")
    return ALLOWED


def may_accept_review(user: User, review: PostIncidentReview) -> Decision:
    """The incident's owner accepts it, never the review's own owner (then the responsible
    person's supervisor chain decides through closure instead)."""
    if (refusal := _tenant(user, review.incident)) is not None:
        return refusal
    if review.status != ReviewStatus.SUBMITTED:
        return Decision(False, "Only a submitted review is accepted.", "response.review_state")
    if user.pk == review.owner_id:
        return Decision(False, "Nobody accepts a review they own.")
    if user.pk != review.incident.owner_id:
        return Decision(False, f"The incident's owner, {review.incident.owner}, accepts the review.")
    return ALLOWED
