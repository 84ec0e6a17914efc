"""The post-incident review: opened at resolution, written without blame, submitted, accepted
by the incident's owner; its preventive actions are tracked action items."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from incidents.response.choices import ActionStatus, AssignmentStatus, ReviewDepth, ReviewStatus, RoleKind
from incidents.response.gating import needs_rule, settings_of
from incidents.response.models import ActionItem, Communication, PostIncidentReview, RoleAssignment
from incidents.response.models.review import ANALYSIS_FIELDS
from incidents.response.policy import may_accept_review, may_write_review
from iwms import notifications
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import AuditEvent, User


def add_working_days(start: datetime, days: int) -> datetime:
    moment = start
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def prefilled_record(incident: Incident) -> str:
    """What the response recorded, as the review's starting material."""
    roles = RoleAssignment.objects.filter(incident=incident).exclude(
        status__in=[AssignmentStatus.DECLINED, AssignmentStatus.WITHDRAWN]
    )
    lines = ["Roles:"]
    lines += [
        f"- {r.role.replace('_', ' ')}: {r.holder} ({r.get_status_display()})" for r in roles.select_related("holder")
    ]
    lines.append("Communications:")
    lines += [
        f"- {timezone.localtime(c.sent_at):%d %b %H:%M} {c.get_audience_display()}: {c.subject}"
        + (" (late)" if c.late else "")
        for c in Communication.objects.filter(incident=incident)
    ]
    lines.append("Timeline:")
    events = AuditEvent.objects.filter(
        organisation_id=incident.organisation_id, object_type="incidents.incident", object_id=str(incident.pk)
    ).order_by("seq")
    lines += [f"- {timezone.localtime(e.created_at):%d %b %H:%M} {e.get_action_display()}: {e.message}" for e in events]
    return "\n".join(lines)


def open_review(*, incident: Incident, actor: User | str) -> PostIncidentReview | None:
    """Open the incident's review (once) when the tenant requires one for its severity; owned by
    the commander (else the owner), due in the tenant's working days."""
    config = settings_of(incident)
    if not needs_rule(incident, config, "review_severities"):
        return None
    existing = PostIncidentReview.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    commander = RoleAssignment.objects.filter(
        incident=incident, role=RoleKind.COMMANDER, status=AssignmentStatus.ACTIVE
    ).first()
    owner = commander.holder if commander else incident.owner
    review = PostIncidentReview.objects.create(
        organisation_id=incident.organisation_id,
        incident=incident,
        owner=owner,
        due_at=add_working_days(timezone.now(), config.review_due_days),
        record=prefilled_record(incident),
        depth=ReviewDepth.DETAILED_TECHNICAL if incident.severity == "sev1" else ReviewDepth.LIGHTWEIGHT,
    )
    record_event(
        tenant=incident.organisation_id,
        action=AuditAction.REVIEW,
        actor=actor,
        obj=incident,
        message=f"Post-incident review opened, owned by {owner}, due {timezone.localtime(review.due_at):%d %b}.",
        changes={"review": review.pk},
    )
    notifications.notify(
        recipient=owner,
        event="response.review_opened",
        obj=review,
        subject=f"{incident.reference}: the post-incident review is yours",
        body=f"Write the blameless review of {incident.reference} '{incident.title}' by "
        f"{timezone.localtime(review.due_at):%d %b}.",
        url=reverse("response_review", args=[incident.reference]),
    )
    return review


def named_people(review: PostIncidentReview) -> list[str]:
    """Names of the tenant's people found in the analysis: the author is asked to reconsider
    them (blameless: describe what the system allowed, not who erred)."""
    text = " ".join(getattr(review, name) for name in ANALYSIS_FIELDS).lower()
    found = set()
    for first, last, username in User.objects.filter(organisation_id=review.organisation_id).values_list(
        "first_name", "last_name", "username"
    ):
        # the full name first: one person is flagged once, by the fullest name found
        for name in (f"{first} {last}".strip(), last if len(last) > 3 else "", username):
            if name and re.search(rf"\b{re.escape(name.lower())}\b", text):
                found.add(name)
                break
    # a surname shared with someone already named in full is the same mention
    return sorted(name for name in found if not any(name != other and name in other for other in found))


def save_review(*, review: PostIncidentReview, actor: User, depth: str, **sections: str) -> PostIncidentReview:
    may_write_review(actor, review).enforce(review)
    if depth not in ReviewDepth.values:
        raise PolicyError.on("validation.invalid", "Choose a depth.", review, field="depth")
    with transaction.atomic():
        review = PostIncidentReview.objects.select_for_update().get(pk=review.pk)
        review.depth = depth
        for name in ANALYSIS_FIELDS:
            if name in sections:
                setattr(review, name, (sections[name] or "").strip())
        review.named_people = named_people(review)
        review.save()
    return review


def submit_review(*, review: PostIncidentReview, actor: User) -> PostIncidentReview:
    may_write_review(actor, review).enforce(review)
    missing = {name: "Write this section." for name in ANALYSIS_FIELDS if not getattr(review, name).strip()}
    if missing:
        raise PolicyError.on(
            "response.review_incomplete",
            "Every section is written before the review is submitted.",
            review,
            errors=missing,
        )
    with transaction.atomic():
        review.status, review.submitted_at = ReviewStatus.SUBMITTED, timezone.now()
        review.save(update_fields=["status", "submitted_at", "updated_at"])
        record_event(
            tenant=review.organisation_id,
            action=AuditAction.REVIEW,
            actor=actor,
            obj=review.incident,
            message="Post-incident review submitted for acceptance.",
            changes={"review": review.pk},
        )
        notifications.notify(
            recipient=review.incident.owner,
            event="response.review_submitted",
            obj=review,
            subject=f"{review.incident.reference}: accept the post-incident review",
            body=f"{actor} submitted the review of {review.incident.reference}.",
            url=reverse("response_review", args=[review.incident.reference]),
        )
    return review


def accept_review(*, review: PostIncidentReview, actor: User) -> PostIncidentReview:
    may_accept_review(actor, review).enforce(review)
    with transaction.atomic():
        review.status, review.accepted_by, review.accepted_at = ReviewStatus.ACCEPTED, actor, timezone.now()
        review.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
        record_event(
            tenant=review.organisation_id,
            action=AuditAction.REVIEW,
            actor=actor,
            obj=review.incident,
            message="Post-incident review accepted.",
            changes={"review": review.pk, "status": ReviewStatus.ACCEPTED},
        )
    return review


def add_action_item(
    *, review: PostIncidentReview, actor: User, description: str, owner: User | None, due_at: date | None
) -> ActionItem:
    may_write_review(actor, review).enforce(review)
    description = (description or "").strip()
    if not description:
        raise PolicyError.on("validation.invalid", "Say what is to be done.", review, field="description")
    if due_at is not None and due_at < timezone.localdate():
        raise PolicyError.on("validation.invalid", "A due date is today or later.", review, field="due_at")
    with transaction.atomic():
        item = ActionItem.objects.create(
            organisation_id=review.organisation_id, review=review, description=description, owner=owner, due_at=due_at
        )
        record_event(
            tenant=review.organisation_id,
            action=AuditAction.ASSIGN,
            actor=actor,
            obj=review.incident,
            message=f"Action item: {description}" + (f" — {owner}, due {due_at:%d %b}" if owner and due_at else ""),
            changes={"action_item": item.pk},
        )
        if owner is not None:
            notifications.notify(
                recipient=owner,
                event="response.action_assigned",
                obj=item,
                subject=f"{review.incident.reference}: an action item is yours",
                body=f"{description}" + (f" (due {due_at:%d %b %Y})" if due_at else ""),
                url=reverse("response_review", args=[review.incident.reference]),
            )
    return item


def complete_action_item(*, item: ActionItem, actor: User) -> ActionItem:
    """Its owner (or the review's owner) marks an action item done."""
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().select_related("review__incident").get(pk=item.pk)
        if actor.pk not in {item.owner_id, item.review.owner_id} or actor.organisation_id != item.organisation_id:
            raise PolicyError.on("access_denied", "The action item's owner or the review's owner marks it done.", item)
        if item.status == ActionStatus.DONE:
            raise PolicyError.on("response.review_state", "The action item is already done.", item)
        item.status, item.done_at = ActionStatus.DONE, timezone.now()
        item.save(update_fields=["status", "done_at", "updated_at"])
        record_event(
            tenant=item.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=item.review.incident,
            message=f"Action item done: {item.description}",
            changes={"action_item": item.pk, "status": "done"},
        )
    return item


def sweep_overdue_action_items(*, today: date | None = None) -> int:
    """Tell an overdue action item's owner and the review's owner, once per item, and put it on
    the incident's timeline."""
    today = today or timezone.localdate()
    overdue = ActionItem.objects.filter(
        status=ActionStatus.OPEN, due_at__lt=today, overdue_notified_at__isnull=True
    ).select_related("review__incident", "owner", "review__owner")[:500]
    told = 0
    for item in overdue:
        with transaction.atomic():
            if not ActionItem.objects.filter(pk=item.pk, overdue_notified_at__isnull=True).update(
                overdue_notified_at=timezone.now()
            ):
                continue
            incident = item.review.incident
            record_event(
                tenant=item.organisation_id,
                action=AuditAction.ESCALATE,
                actor="system:response-cadence",
                obj=incident,
                message=f"Action item overdue since {item.due_at:%d %b}: {item.description}",
                changes={"action_item": item.pk},
            )
            for person in {p.pk: p for p in (item.owner, item.review.owner) if p is not None}.values():
                notifications.notify(
                    recipient=person,
                    event="response.action_overdue",
                    obj=item,
                    subject=f"{incident.reference}: an action item is overdue",
                    body=f"{item.description} was due {item.due_at:%d %b %Y}.",
                    url=reverse("response_review", args=[incident.reference]),
                )
            told += 1
    return told
