"""Who is told what on the core flow: a new incident's owner and responsible person, hand-offs
(to the person taking over, and back to the one handing over), information requests, the
deciders when an incident enters the closure queue, the reporter when it closes, and tenant
admins when a grant request waits for them.

Every notice goes through `iwms.notifications` (the inbox row now, the e-mail after commit —
at once or in the recipient's digest), once per recipient, event and object. Services call
these inside their transaction, after the write they report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from arc.choices import Role
from arc.models import Delegation, RoleGrant
from arc.roles import live_grants
from incidents.core.routing import decider_of
from incidents.models import Escalation, Incident, ReportDraft
from iwms import notifications
from iwms.models import User
from workflows.models import Review, Step, WorkflowRun


def _name(person: User) -> str:
    return person.get_full_name() or person.username


def is_provider(person: User) -> bool:
    return any(grant.role == Role.EXTERNAL_PROVIDER for grant in live_grants(person))


def _handoffs_url(person: User, step: Step | None) -> str:
    """Where the person a step is handed to finds it: the provider portal for an external
    provider, "my items" for everyone else."""
    if step is not None and is_provider(person):
        return reverse("portal_provider")
    return reverse("my_items")


def _step_url(person: User, incident: Incident, step: Step) -> str:
    if is_provider(person):
        return reverse("portal_provider_step", args=[step.pk])
    return f"{reverse('incident_work', args=[incident.reference])}#step-{step.pk}"


def _subject(incident: Incident, step: Step | None) -> str:
    if step is not None:
        return f"step {step.position} '{step.name}' of {incident.reference}"
    return f"the responsibility for {incident.reference}"


# --- assignment ---------------------------------------------------------------------------------


def incident_assigned(incident: Incident) -> None:
    """A new incident: its owner (accountable) and its responsible person are told (one notice
    when they are the same person); the reporter is not, they just confirmed it."""
    work = reverse("incident_work", args=[incident.reference])
    detail = reverse("incident_detail", args=[incident.reference])
    drafts = {
        incident.owner_id: notifications.draft(
            recipient=incident.owner,
            event="incident.assigned",
            obj=incident,
            subject=f"{incident.reference}: you are accountable (owner)",
            body=f"{incident.reference} '{incident.title}' ({incident.get_severity_display()}, "
            f"{incident.location}) is yours to own; {incident.responsible} is responsible for the work.",
            url=detail,
        )
    }
    drafts[incident.responsible_id] = notifications.draft(
        recipient=incident.responsible,
        event="incident.assigned",
        obj=incident,
        subject=f"{incident.reference}: you are responsible",
        body=f"{incident.reference} '{incident.title}' ({incident.get_severity_display()}, {incident.location}) "
        f"is assigned to you. Acknowledge it by {timezone.localtime(incident.ack_due_at):%d %b %H:%M} "
        "and work its steps"
        + ("; you also own it." if incident.owner_id == incident.responsible_id else f"; {incident.owner} owns it."),
        url=detail if incident.status == "open" else work,
    )
    notifications.notify_many(drafts.values())


# --- hand-offs ---------------------------------------------------------------------------------


def handoff_proposed(*, delegation: Delegation, incident: Incident, step: Step | None = None) -> None:
    """The person a step or the responsibility is handed to: asked to accept it, or told it is
    theirs now (a hand-off that needs no acceptance)."""
    person = delegation.to_person
    what = _subject(incident, step)
    short = f"step {step.position}" if step is not None else "the responsibility"
    waiting = delegation.status == "proposed"
    notifications.notify(
        recipient=person,
        event="handoff.proposed" if waiting else "handoff.received",
        obj=delegation,
        subject=f"{incident.reference}: {_name(delegation.from_person)} hands you {short}",
        body=f"{_name(delegation.from_person)} hands you {what} '{incident.title}' "
        f"({delegation.get_reason_code_display()}): {delegation.handoff_note}"
        + (" Accept or decline it." if waiting else " It is yours now."),
        url=_handoffs_url(person, step) if waiting or step is None else _step_url(person, incident, step),
    )


def handoff_decided(*, delegation: Delegation, incident: Incident, step: Step | None = None) -> None:
    """The person who handed over: told the hand-off was accepted or declined."""
    accepted = delegation.status == "accepted"
    who = _name(delegation.to_person)
    note = f": {delegation.decided_note}" if delegation.decided_note else "."
    notifications.notify(
        recipient=delegation.from_person,
        event="handoff.accepted" if accepted else "handoff.declined",
        obj=delegation,
        subject=f"{incident.reference}: {who} {'accepted' if accepted else 'declined'} the hand-off",
        body=f"{who} {'accepted' if accepted else 'declined'} {_subject(incident, step)}{note}"
        + ("" if accepted else " It stays with you: work it or hand it to someone else."),
        url=f"{reverse('incident_work', args=[incident.reference])}" + (f"#step-{step.pk}" if step else ""),
    )


def handoff_withdrawn(*, delegation: Delegation, incident: Incident, step: Step) -> None:
    """The person a step was handed to: told it was taken back."""
    notifications.notify(
        recipient=delegation.to_person,
        event="handoff.withdrawn",
        obj=delegation,
        subject=f"{incident.reference}: step {step.position} taken back",
        body=f"{_name(delegation.from_person)} took back step {step.position} '{step.name}' of "
        f"{incident.reference}: {delegation.decided_note}",
        url=_handoffs_url(delegation.to_person, step),
    )


def handed_step_completed(*, step: Step, incident: Incident, actor: User) -> None:
    """Whoever handed a step over is told when the person it went to completes it."""
    delegation = (
        Delegation.objects.filter(
            subject_type="workflows.step", subject_id=str(step.pk), status="accepted", to_person=actor
        )
        .select_related("from_person")
        .order_by("-created_at", "-pk")
        .first()
    )
    if delegation is None:
        return
    notifications.notify(
        recipient=delegation.from_person,
        event="step.completed",
        obj=step,
        subject=f"{incident.reference}: {_name(actor)} completed step {step.position}",
        body=f"{_name(actor)} completed step {step.position} '{step.name}' of {incident.reference} "
        f"'{incident.title}', which you handed over.",
        url=f"{reverse('incident_work', args=[incident.reference])}#step-{step.pk}",
    )


# --- information requests ----------------------------------------------------------------------


def information_requested(*, request: WorkflowRun, incident: Incident) -> None:
    notifications.notify(
        recipient=request.responsible,
        event="information.requested",
        obj=request,
        subject=f"{incident.reference}: information needed by {timezone.localtime(request.due_at):%d %b %H:%M}",
        body=f"{_name(request.requested_by)} paused '{request.title}' of {incident.reference} "
        f"'{incident.title}' and asks you: {request.request}",
        url=reverse("information_request", args=[request.pk]),
    )


def information_answered(*, request: WorkflowRun, incident: Incident) -> None:
    notifications.notify(
        recipient=request.requested_by,
        event="information.answered",
        obj=request,
        subject=f"{incident.reference}: {_name(request.responsible)} answered your information request",
        body=f"{_name(request.responsible)} answered '{request.title}' of {incident.reference}: {request.resolution}",
        url=reverse("incident_work", args=[incident.reference]),
    )


# --- closure -----------------------------------------------------------------------------------


def pending_closure(*, incident: Incident, review: Review | None) -> None:
    """The incident entered the closure queue: its decider (one level up from the responsible
    person, vacant levels skipped) and the people it escalated to are told. Once per review:
    an incident sent back and reviewed again enters the queue again."""
    recipients: dict[int, User] = {}
    route = decider_of(incident)
    if route is not None:
        recipients[route.level.holder.pk] = route.level.holder
    for escalation in Escalation.objects.filter(incident=incident).select_related("to_person"):
        recipients.setdefault(escalation.to_person_id, escalation.to_person)
    recipients.pop(incident.responsible_id, None)
    if incident.reporter_id is not None:
        recipients.pop(incident.reporter_id, None)
    obj = review if review is not None else incident
    notifications.notify_many(
        notifications.draft(
            recipient=person,
            event="closure.pending",
            obj=obj,
            subject=f"{incident.reference} waits for your closure decision",
            body=f"{incident.reference} '{incident.title}' ({incident.get_severity_display()}) passed the automated "
            f"review; {incident.responsible} completed the work. Approve with the closure checklist, reject with "
            "instructions or ask for more evidence.",
            url=reverse("closure_decision", args=[incident.reference]),
        )
        for person in recipients.values()
    )


def incident_closed_for_reporter(*, incident: Incident, decider: User) -> None:
    """The reporter (and whoever linked a report of theirs to it) learns the incident closed."""
    people: dict[int, User] = {}
    if incident.reporter_id is not None:
        people[incident.reporter_id] = incident.reporter
    for draft in ReportDraft.objects.filter(linked_to=incident).select_related("reporter"):
        people.setdefault(draft.reporter_id, draft.reporter)
    for pk in (incident.responsible_id, decider.pk):
        people.pop(pk, None)
    notifications.notify_many(
        notifications.draft(
            recipient=person,
            event="incident.closed",
            obj=incident,
            subject=f"{incident.reference} is closed",
            body=f"{incident.reference} '{incident.title}', which you reported, is closed: {_name(decider)} approved "
            "the work and signed the closure checklist.",
            url=reverse("incident_detail", args=[incident.reference]),
        )
        for person in people.values()
    )


# --- grants ------------------------------------------------------------------------------------


def grant_requested(*, grant: Any, scope: int, category: Any = None) -> None:
    """A grant request waits for a tenant admin of the tenant: every live one is told."""
    what = f"the {category.name} subtree" if category is not None else f"{scope} incident{'s' if scope != 1 else ''}"
    notifications.notify_many(
        notifications.draft(
            recipient=admin,
            event="grant.requested",
            obj=grant,
            subject=f"Access grant requested for {grant.grantee}",
            body=f"{_name(grant.requested_by)} asks that {grant.grantee} may read {what} until "
            f"{timezone.localtime(grant.expires_at):%d %b %Y}: {grant.purpose}",
            url=reverse("manage_grants"),
        )
        for admin in tenant_admins(grant.organisation_id)
        if admin.pk != grant.requested_by_id
    )


def tenant_admins(tenant_id: int) -> Iterable[User]:
    """The people holding a live tenant-admin role grant of the tenant."""
    now = timezone.now()
    live = (
        RoleGrant.objects.filter(
            organisation_id=tenant_id, role=Role.TENANT_ADMIN, revoked_at__isnull=True, starts_at__lte=now
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values("user_id")
    )
    return User.objects.filter(pk__in=live, is_active=True).order_by("pk")
