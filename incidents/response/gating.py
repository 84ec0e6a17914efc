"""The checks the response app adds to the incident's moves (`incidents.core.gates`): a commander
before a SEV-1/2 leaves triage (acknowledgement is where triage ends today), and the accepted
review with its action items in place before closure. Only for tenants that adopted response
(`ResponseSettings`)."""

from __future__ import annotations

from incidents.choices import Source
from incidents.models import Incident
from incidents.response.choices import ActionStatus, AssignmentStatus, ClosureRule, ReviewStatus, RoleKind
from incidents.response.models import ActionItem, PostIncidentReview, ResponseSettings, RoleAssignment
from iwms.errors import PolicyError


def settings_of(incident: Incident) -> ResponseSettings | None:
    return ResponseSettings.objects.filter(organisation_id=incident.organisation_id).first()


def needs_rule(incident: Incident, config: ResponseSettings | None, severities: str) -> bool:
    """Whether the tenant's response rule applies: adopted, the severity named, and not a
    system-generated follow-up (failure to complete in time, mismatch), whose original incident
    carries the response; acknowledging an escalation acknowledges such a follow-up at once."""
    if config is None or incident.source == Source.SYSTEM:
        return False
    return incident.severity in getattr(config, severities)


def commander_designated(incident: Incident) -> None:
    config = settings_of(incident)
    if not needs_rule(incident, config, "commander_severities"):
        return
    if not RoleAssignment.objects.filter(
        incident=incident, role=RoleKind.COMMANDER, status=AssignmentStatus.ACTIVE
    ).exists():
        raise PolicyError.on(
            "response.commander_required",
            f"{incident.reference} is {incident.get_severity_display()}: designate an incident commander "
            "before it leaves triage.",
            incident,
        )


def review_problems(incident: Incident, config: ResponseSettings | None = None) -> list[str]:
    """What still keeps the incident from closing, in words (empty: nothing)."""
    config = config or settings_of(incident)
    if not needs_rule(incident, config, "review_severities"):
        return []
    review = PostIncidentReview.objects.filter(incident=incident).first()
    if review is None:
        return ["The post-incident review has not been opened (record the resolution)."]
    problems = []
    if review.status != ReviewStatus.ACCEPTED:
        problems.append(f"The post-incident review is {review.get_status_display()}, not accepted.")
    items = ActionItem.objects.filter(review=review).exclude(status=ActionStatus.DONE)
    if config.closure_rule == ClosureRule.ITEMS_DONE:
        if (count := items.count()) > 0:
            problems.append(f"{count} action item(s) are not done.")
    elif (count := items.filter(owner__isnull=True).count() + items.filter(due_at__isnull=True).count()) > 0:
        problems.append("Every open action item needs an owner and a due date.")
    return problems


def review_in_place(incident: Incident) -> None:
    problems = review_problems(incident)
    if problems:
        raise PolicyError.on("response.review_required", " ".join(problems), incident, problems=problems)
