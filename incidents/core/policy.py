"""Who may do what to an incident. Views grey out what this refuses, services refuse it."""

from __future__ import annotations

from dataclasses import dataclass

from arc.roles import OUTSIDER_ROLES, DerivedRole, roles_of
from incidents.choices import FINAL_STATUSES, DecisionKind, IncidentStatus, SystemReason
from incidents.core.routing import decider_of, involved_ids
from incidents.models import BreachWarning, ClosureDecision, Escalation, Incident
from iwms.decisions import Decision
from iwms.models import User
from organogram.hierarchy import ancestor_ids, positions_of
from organogram.models import Position
from workflows.models import Evidence
from workflows.policy import may_invalidate_evidence as may_invalidate_step_evidence


def may_report(user: User) -> Decision:
    """Reporting is for the organisation's own people and its external providers: auditors and
    regulators read through their grants and never report."""
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, "Only people of an organisation can report.")
    if DerivedRole.REPORTER not in roles_of(user):
        return Decision(False, "Auditors and regulators read through their grants; they do not report incidents here.")
    return Decision(True)


def may_request_grant(user: User, incident: Incident | None = None) -> Decision:
    """Asking for an auditor's or regulator's read access is for the organisation's own people,
    on incidents they own (the grant service refuses anything else they name)."""
    if not user.is_authenticated or user.organisation_id is None:
        return Decision(False, "Only people of an organisation request audit access.")
    roles = roles_of(user)
    if DerivedRole.REPORTER not in roles or (not roles.positions and set(roles.roles) & OUTSIDER_ROLES):
        return Decision(False, "Auditors, regulators and external providers do not request grants.")
    if incident is not None and incident.owner_id != user.pk:
        return Decision(False, f"Only the owner, {incident.owner}, requests audit access to this incident.")
    return Decision(True)


def _other_tenant(user: User, incident: Incident) -> Decision | None:
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return Decision(False, "This incident belongs to another organisation.")
    return None


def may_acknowledge(user: User, incident: Incident) -> Decision:
    if (refusal := _other_tenant(user, incident)) is not None:
        return refusal
    if user.pk != incident.responsible_id:
        return Decision(False, f"Only the responsible person, {incident.responsible}, acknowledges.")
    if incident.status != IncidentStatus.OPEN:
        return Decision(False, "Already acknowledged.", code="transition.not_allowed")
    return Decision(True)


# --- the responsible person's work -------------------------------------------------------------


def _responsible_only(user: User, incident: Incident, verb: str) -> Decision | None:
    if (refusal := _other_tenant(user, incident)) is not None:
        return refusal
    if user.pk != incident.responsible_id:
        return Decision(False, f"Only the responsible person, {incident.responsible}, {verb}.")
    return None


def _in_progress(incident: Incident, what: str) -> Decision | None:
    if incident.status != IncidentStatus.IN_PROGRESS:
        hint = " Acknowledge it first." if incident.status == IncidentStatus.OPEN else ""
        return Decision(
            False,
            f"{what} while the incident is in progress; it is {incident.get_status_display()}.{hint}",
            code="transition.not_allowed",
        )
    return None


def _first_refusal(*refusals: Decision | None) -> Decision:
    # A refusal is falsy, so `a or b` would skip it: pick the first one that is not None.
    return next((refusal for refusal in refusals if refusal is not None), Decision(True))


def may_complete_work(user: User, incident: Incident) -> Decision:
    """Click Complete (the incident becomes half-closed and is reviewed): the responsible
    person, while it is in progress. What is still undone is `work.completion_blockers`."""
    return _first_refusal(_responsible_only(user, incident, "completes"), _in_progress(incident, "Work is completed"))


def may_correct_account(user: User, incident: Incident) -> Decision:
    """Correct the narrative, location and POLE the review questioned: the responsible person,
    while the incident is in progress."""
    return _first_refusal(
        _responsible_only(user, incident, "corrects the account"), _in_progress(incident, "The account is corrected")
    )


def may_restart_review(user: User, incident: Incident) -> Decision:
    """Run the automated review again on an incident left half-closed: its responsible person."""
    if (refusal := _responsible_only(user, incident, "restarts the review")) is not None:
        return refusal
    if incident.status != IncidentStatus.HALF_CLOSED:
        return Decision(False, "Only a half-closed incident is reviewed.", code="transition.not_allowed")
    return Decision(True)


def may_delegate_incident(user: User, incident: Incident) -> Decision:
    """Hand the whole responsibility on: the responsible person, before the incident is
    completed. Once it is half-closed, pending closure or closed, the work is done and a
    hand-off would only change who the decider is."""
    if (refusal := _responsible_only(user, incident, "delegates")) is not None:
        return refusal
    if incident.status not in (IncidentStatus.OPEN, IncidentStatus.IN_PROGRESS):
        return Decision(
            False,
            f"Responsibility is handed on before the work is completed; the incident is "
            f"{incident.get_status_display()}.",
            code="transition.not_allowed",
        )
    return Decision(True)


def may_take_over(user: User, incident: Incident) -> Decision:
    """Accept a hand-off of the incident's responsibility proposed to `user`: before the work is
    completed, or, pending closure, the re-route of an organogram mismatch (nothing else moves
    responsibility once the incident waits for its decider)."""
    if (refusal := _other_tenant(user, incident)) is not None:
        return refusal
    if incident.status in (IncidentStatus.OPEN, IncidentStatus.IN_PROGRESS):
        return Decision(True)
    if incident.status == IncidentStatus.PENDING_CLOSURE and _open_mismatch(incident):
        return Decision(True)
    return Decision(
        False,
        f"The incident is {incident.get_status_display()}; responsibility no longer moves.",
        code="transition.not_allowed",
    )


def may_invalidate_evidence(user: User, incident: Incident, evidence: Evidence) -> Decision:
    """Invalidate an item of the incident's evidence. Once the incident is pending closure it
    is the decider's (a rejection), once it is closed the reopener's (a reopen); before that,
    the step's executor or the responsible person."""
    if evidence.invalidated_at is not None:
        return Decision(False, "Already invalidated.", code="evidence.invalidated")
    if incident.status == IncidentStatus.CLOSED:
        return may_reopen(user, incident)
    if incident.status == IncidentStatus.PENDING_CLOSURE:
        return may_decide_closure(user, incident)
    return may_invalidate_step_evidence(user, evidence)


# --- closure decisions, reopening and re-routing -------------------------------------------


@dataclass(frozen=True)
class DecisionRight(Decision):
    """A `Decision` on a closure question, with the refusal code a service raises and, when
    allowed, the position the person decides from (recorded with the decision)."""

    code: str = ""
    position: Position | None = None
    vacant_skipped: tuple[Position, ...] = ()


def _refused(code: str, reason: str) -> DecisionRight:
    return DecisionRight(False, reason, code=code)


def _segregation(user: User, incident: Incident) -> DecisionRight | None:
    if user.pk == incident.responsible_id:
        return _refused(
            "closure.segregation_of_duties", "You are responsible for this incident; nobody decides on their own work."
        )
    if incident.reporter_id is not None and user.pk == incident.reporter_id:
        return _refused("closure.segregation_of_duties", "You reported this incident; someone else decides on it.")
    if user.pk in involved_ids(incident):
        return _refused(
            "closure.segregation_of_duties",
            "You were responsible for this incident or handed it on; nobody decides on their own work.",
        )
    return None


def may_decide_closure(user: User, incident: Incident) -> DecisionRight:
    """Approve, override, reject, ask for more evidence or report an organogram mismatch: the
    holder one level up from the responsible person now (vacant levels skipped), or a person
    the incident has escalated to; never its responsible person or reporter."""
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return _refused("access_denied", "This incident belongs to another organisation.")
    if incident.status != IncidentStatus.PENDING_CLOSURE:
        return _refused(
            "transition.not_allowed",
            f"Decisions are taken on incidents pending closure; this one is {incident.get_status_display()}.",
        )
    refusal = _segregation(user, incident)
    if refusal is not None:
        return refusal
    route = decider_of(incident)
    if route is not None and route.level.holder.pk == user.pk:
        return DecisionRight(True, code="", position=route.level.position, vacant_skipped=route.level.skipped_vacant)
    escalation = (
        Escalation.objects.filter(incident=incident, to_person=user)
        .select_related("to_position")
        .order_by("-level")
        .first()
    )
    if escalation is not None:
        return DecisionRight(True, position=escalation.to_position)
    if route is None:
        return _refused(
            "closure.not_supervisor",
            f"Nobody holds a position above {incident.responsible}; the incident must escalate.",
        )
    return _refused(
        "closure.not_supervisor",
        f"Only {route.level.holder} ({route.level.position}), one level up from {incident.responsible}, "
        "decides on closure.",
    )


def original_decider_position(incident: Incident) -> Position | None:
    """The position of whoever approved the closure last; for an incident closed without a
    recorded decision, the position that decides on it now."""
    decision = (
        ClosureDecision.objects.filter(incident=incident, kind__in=[DecisionKind.APPROVE, DecisionKind.OVERRIDE])
        .select_related("decider_position")
        .order_by("-created_at", "-id")
        .first()
    )
    if decision is not None and decision.decider_position is not None:
        return decision.decider_position
    route = decider_of(incident)
    return route.level.position if route else None


def may_reopen(user: User, incident: Incident) -> DecisionRight:
    """Reopen a closed incident: a person holding a position above the original decider's."""
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return _refused("access_denied", "This incident belongs to another organisation.")
    if incident.status != IncidentStatus.CLOSED:
        return _refused(
            "transition.not_allowed",
            f"Only a closed incident is reopened; this one is {incident.get_status_display()}.",
        )
    refusal = _segregation(user, incident)
    if refusal is not None:
        return refusal
    decider_position = original_decider_position(incident)
    if decider_position is None:
        return _refused(
            "reopen.approver_not_elevated", "Nobody decided on this incident from a position in the organogram."
        )
    above = ancestor_ids(Position, decider_position.pk)
    held = {position.pk: position for position in positions_of(user)}
    mine = next((held[pk] for pk in above if pk in held), None)
    if mine is None:
        return _refused(
            "reopen.approver_not_elevated",
            f"A reopen needs an approver above {decider_position}, the position that approved the closure.",
        )
    return DecisionRight(True, position=mine)


def _open_mismatch(incident: Incident) -> Incident | None:
    return (
        Incident.objects.filter(parent=incident, system_reason=SystemReason.ORGANOGRAM_MISMATCH)
        .exclude(status=IncidentStatus.CLOSED)
        .first()
    )


def may_reroute(user: User, incident: Incident) -> DecisionRight:
    """Re-route an incident after its organogram mismatch was corrected: the responsible
    person of the open organogram-mismatch incident raised for it."""
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return _refused("access_denied", "This incident belongs to another organisation.")
    mismatch = _open_mismatch(incident)
    if mismatch is None:
        return _refused("transition.not_allowed", "No organogram mismatch is open for this incident.")
    if user.pk != mismatch.responsible_id:
        return _refused(
            "access_denied", f"Only {mismatch.responsible}, responsible for {mismatch.reference}, re-routes it."
        )
    return DecisionRight(True)


# --- SLA clocks and escalation ---------------------------------------------------------------


def may_change_severity(user: User, incident: Incident) -> Decision:
    """The owner, the responsible person, or anyone holding a position above the responsible
    person's in the organogram (their supervisor, department head, the top) re-assesses the
    severity of an incident that is not closed; so does a platform admin, from the admin."""
    if user.is_authenticated and user.is_superuser and incident.status not in FINAL_STATUSES:
        return Decision(True)
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return Decision(False, "This incident belongs to another organisation.")
    if incident.status in FINAL_STATUSES:
        return Decision(
            False, f"A {incident.get_status_display()} incident keeps its severity.", code="transition.not_allowed"
        )
    if user.pk in (incident.owner_id, incident.responsible_id):
        return Decision(True)
    held = {position.pk for position in positions_of(user)}
    if held:
        above: set[int] = set()
        for position in positions_of(incident.responsible):
            above.update(ancestor_ids(Position, position.pk))
        if held & above:
            return Decision(True)
    return Decision(
        False,
        f"Only the owner, {incident.owner}, the responsible person, {incident.responsible}, or those above "
        f"{incident.responsible} in the organogram change the severity.",
    )


def may_mark_contained(user: User, incident: Incident) -> Decision:
    """The responsible person or the owner marks an incident contained, once per clock cycle,
    while it is not closed."""
    if not user.is_authenticated or user.organisation_id != incident.organisation_id:
        return Decision(False, "This incident belongs to another organisation.")
    if user.pk not in (incident.owner_id, incident.responsible_id):
        return Decision(
            False,
            f"Only the responsible person, {incident.responsible}, or the owner, {incident.owner}, marks it contained.",
        )
    if incident.status in FINAL_STATUSES:
        return Decision(False, f"The incident is {incident.get_status_display()}.", code="transition.not_allowed")
    if incident.contained_at is not None:
        return Decision(False, "It is marked contained already.", code="transition.not_allowed")
    return Decision(True)


def may_acknowledge_escalation(user: User, escalation: Escalation) -> Decision:
    if escalation.acknowledged_at is not None:
        return Decision(False, f"{escalation.acknowledged_by} already acknowledged this escalation.")
    if user.pk != escalation.to_person_id:
        return Decision(False, f"It escalated to {escalation.to_person}; only they acknowledge it.")
    return Decision(True)


def may_write_mitigation_note(user: User, warning: BreachWarning) -> Decision:
    incident = warning.incident
    if not warning.mitigation_requested:
        return Decision(False, "No mitigation note was asked for with this warning.")
    if incident.status == IncidentStatus.CLOSED:
        return Decision(False, "The incident is closed.")
    if user.pk != incident.responsible_id:
        return Decision(False, f"The responsible person, {incident.responsible}, writes the mitigation note.")
    return Decision(True)
