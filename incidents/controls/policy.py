"""Who may merge, split and un-merge incidents, and which incidents may take part.

Merge (seed 002 §7.1): the owner of every incident of the group, or someone holding a position
above the positions of every responsible person of the group. Split and un-merge: the same
rule over the one incident (and, for an un-merge, over its primary too). A merged-in incident
must be live: not closed, not merged already, and not the primary itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from incidents.choices import FINAL_STATUSES, IncidentStatus
from incidents.models import Incident
from iwms.decisions import ALLOWED, Decision
from iwms.models import User
from organogram.hierarchy import ancestor_ids, positions_of
from organogram.models import Position

MIN_REASON = 15


def _above_everyone(user: User, people: Iterable[User]) -> bool:
    """Whether `user` holds a position above some position of each of `people`."""
    mine = {position.pk for position in positions_of(user)}
    if not mine:
        return False
    for person in people:
        above: set[int] = set()
        for position in positions_of(person):
            above.update(ancestor_ids(Position, position.pk))
        if not mine & above:
            return False
    return True


def may_control(user: User, incidents: list[Incident]) -> Decision:
    """The who-may-merge rule over `incidents`: owner of all, or above all their responsible people."""
    if not user.is_authenticated or any(i.organisation_id != user.organisation_id for i in incidents):
        return Decision(False, "These incidents belong to another organisation.", code="tenant.cross_reference")
    if all(i.owner_id == user.pk for i in incidents):
        return ALLOWED
    responsible = {i.responsible_id: i.responsible for i in incidents}
    if _above_everyone(user, responsible.values()):
        return ALLOWED
    return Decision(
        False,
        "Only the owner of every incident involved, or someone above all their responsible people, does this.",
    )


def merge_refusal(primary: Incident, others: list[Incident]) -> Decision:
    """Whether these incidents can be merged into `primary` at all (whoever asks)."""
    if not others:
        return Decision(False, "Choose at least one incident to merge into the primary.", code="validation.invalid")
    if any(other.pk == primary.pk for other in others):
        return Decision(
            False, f"{primary.reference} is the primary; it is not merged into itself.", "validation.invalid"
        )
    if primary.status in FINAL_STATUSES:
        return Decision(
            False,
            f"The primary {primary.reference} is {primary.get_status_display()}; choose a live incident as primary.",
            "merge.not_mergeable",
        )
    for other in others:
        if other.status in FINAL_STATUSES:
            return Decision(
                False,
                f"{other.reference} is {other.get_status_display()}; a closed or merged incident is not merged again.",
                "merge.not_mergeable",
            )
    return ALLOWED


def may_merge(user: User, primary: Incident, others: list[Incident]) -> Decision:
    refusal = merge_refusal(primary, others)
    if not refusal:
        return refusal
    return may_control(user, [primary, *others])


def may_split(user: User, incident: Incident) -> Decision:
    if incident.status in FINAL_STATUSES:
        return Decision(
            False,
            f"{incident.reference} is {incident.get_status_display()}; only a live incident is split.",
            "merge.not_mergeable",
        )
    return may_control(user, [incident])


def may_unmerge(user: User, merged: Incident, primary: Incident | None) -> Decision:
    if merged.status != IncidentStatus.MERGED or primary is None:
        return Decision(False, f"{merged.reference} is not merged into another incident.", "transition.not_allowed")
    return may_control(user, [merged, primary])


def may_note_gap(user: User, incident: Incident) -> Decision:
    """Record or resolve a known gap: the responsible person, the owner, or those above the
    responsible person, while the incident is live."""
    if incident.status in FINAL_STATUSES:
        return Decision(
            False, f"{incident.reference} is {incident.get_status_display()}.", code="transition.not_allowed"
        )
    if (
        user.is_authenticated
        and user.pk == incident.responsible_id
        and user.organisation_id == incident.organisation_id
    ):
        return ALLOWED
    return may_control(user, [incident])
