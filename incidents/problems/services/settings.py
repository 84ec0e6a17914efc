"""A tenant's problem-management settings, saved with one ledger event (the admin's path)."""

from __future__ import annotations

from django.db import transaction

from incidents.problems.models import ProblemSettings
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError


def save_problem_settings(*, obj: ProblemSettings, actor: object) -> ProblemSettings:
    if obj.stability_days < 1:
        raise PolicyError.on(
            "validation.invalid", "The stability window is at least one day.", obj, field="stability_days"
        )
    with transaction.atomic():
        before = ProblemSettings.objects.filter(pk=obj.pk).values_list("stability_days", flat=True).first()
        obj.save()
        record_event(
            tenant=obj.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=obj,
            message="Problem-management settings saved",
            changes={"stability_days": [before, obj.stability_days]},
        )
    return obj


def delete_problem_settings(*, obj: ProblemSettings, actor: object) -> None:
    """Back to the defaults."""
    with transaction.atomic():
        record_event(
            tenant=obj.organisation_id,
            action=AuditAction.UPDATE,
            actor=actor,
            obj=obj,
            message="Problem-management settings removed: the defaults hold",
            changes={"stability_days": [obj.stability_days, None]},
        )
        obj.delete()
