"""The post-mortem of an SLA breach (seed 002 §6.3): the incident's owner names the cause
category, says what made the deadline slip, and sets corrective actions with owners and due
dates. Once per breach; the ledger keeps it."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Breach
from incidents.triage.choices import BreachCause
from incidents.triage.models import BreachReview, CorrectiveAction
from incidents.triage.policy import may_review_breach
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals

MIN_ACCOUNT = 20


def review_breach(
    *, breach: Breach, actor: User, cause: str, account: str, actions: list[tuple[str, User, date]]
) -> BreachReview:
    """`actions` are (description, owner, due date): at least one, owners of the same tenant,
    due today or later."""
    incident = breach.incident
    with audited_refusals(actor=actor):
        decision = may_review_breach(actor, breach)
        if not decision:
            raise PolicyError.on("access_denied", decision.reason, incident, breach=breach.pk)
        account = " ".join(account.split())
        if cause not in BreachCause.values:
            raise PolicyError.on("validation.invalid", "Choose the cause category.", incident, field="cause")
        if len(account) < MIN_ACCOUNT:
            raise PolicyError.on(
                "validation.invalid",
                f"Say what made the deadline slip (at least {MIN_ACCOUNT} characters).",
                incident,
                field="account",
            )
        if not actions:
            raise PolicyError.on(
                "validation.invalid",
                "Set at least one corrective action with its owner and due date.",
                incident,
                field="actions",
            )
        today = timezone.localdate()
        for description, owner, due_on in actions:
            if owner.organisation_id != incident.organisation_id:
                raise PolicyError.on(
                    "tenant.cross_reference", "An action's owner belongs to another organisation.", incident
                )
            if due_on < today or not description.strip():
                raise PolicyError.on(
                    "validation.invalid",
                    "Each action says what is done and is due today or later.",
                    incident,
                    field="actions",
                )
        try:
            with transaction.atomic():
                review = BreachReview.objects.create(
                    organisation_id=incident.organisation_id,
                    breach=breach,
                    cause=cause,
                    account=account,
                    reviewed_by=actor,
                )
                for description, owner, due_on in actions:
                    CorrectiveAction.objects.create(
                        organisation_id=incident.organisation_id,
                        review=review,
                        description=description.strip(),
                        owner=owner,
                        due_on=due_on,
                    )
                record_event(
                    tenant=incident.organisation_id,
                    action=AuditAction.REVIEW,
                    actor=actor,
                    obj=incident,
                    message=f"Post-mortem of the {breach.get_clock_display()} breach: {BreachCause(cause).label}; "
                    f"{account} Corrective actions: "
                    + "; ".join(f"{d.strip()} ({o}, due {due:%d %b %Y})" for d, o, due in actions),
                    changes={"breach": breach.pk, "cause": cause, "actions": len(actions)},
                )
        except IntegrityError:
            raise PolicyError.on(
                "transition.not_allowed", "This breach already has its post-mortem.", incident
            ) from None
    return review
