"""The reporting wizard's writes: saving a step into the draft and confirming it into an
incident with its anchors, POLE entities and deadlines, in one transaction, exactly once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from arc.choices import Role
from arc.roles import roles_of
from incidents.choices import Source
from incidents.core.lifecycle import create_incident
from incidents.core.services import notices
from incidents.core.services.incident_workflows import start_incident_workflow
from incidents.intake.duplicates import DuplicateCandidate, find_duplicates
from incidents.intake.services.assignment import plan_assignment
from incidents.models import Category, Incident, PoleEntity, ReportDraft
from iwms.audit import record_event
from iwms.bulk_rows import create_with_history
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from organogram.hierarchy import primary_position
from organogram.models import OrgUnit

STEPS = ("kind", "classification", "context", "confirm")
REQUIRED = {
    "kind": ("kind", "title"),
    "classification": ("category",),
    "context": ("location", "severity", "risk_level", "time_sensitivity", "occurred_at", "narrative"),
}


def start_draft(*, reporter: User) -> ReportDraft:
    draft = ReportDraft(organisation_id=reporter.organisation_id, reporter=reporter)
    draft.save()
    return draft


def resumable_draft(*, reporter: User) -> ReportDraft | None:
    """The reporter's latest draft still being written: neither confirmed into an incident nor
    linked to an existing one (both finish it)."""
    return (
        ReportDraft.objects.filter(reporter=reporter, incident__isnull=True, linked_to__isnull=True)
        .order_by("-updated_at")
        .first()
    )


def first_incomplete_step(draft: ReportDraft) -> str:
    for step, fields in REQUIRED.items():
        if any(draft.data.get(name) in (None, "") for name in fields):
            return step
    return "confirm"


def save_step(*, draft: ReportDraft, values: dict[str, Any]) -> ReportDraft:
    """Merge one step's cleaned values into the draft (JSON-safe)."""
    if draft.is_submitted:
        raise PolicyError(
            "transition.not_allowed",
            "This report has already been submitted.",
            tenant=draft.organisation,
            object_type="incidents.reportdraft",
            object_id=str(draft.pk),
        )
    for name, value in values.items():
        draft.data[name] = value.isoformat() if isinstance(value, datetime) else value
    step = next((step for step, fields in TYPED_FIELDS.items() if set(values) & set(fields)), None)
    (draft.data.get("typed") or {}).pop(step, None)
    draft.save(update_fields=["data", "updated_at"])
    return draft


# What a reporter may have typed into a step before pressing Next, kept as typed (unvalidated,
# length-capped) so a refresh, Back or a lost connection loses nothing; Next validates it.
TYPED_FIELDS = {
    "kind": ("kind", "title"),
    "classification": ("category",),
    "context": ("unit", "location", "severity", "risk_level", "time_sensitivity", "occurred_at", "narrative"),
}
TYPED_MAX = 10_000
POLE_FIELDS = ("type", "name", "role")


def keep_typed(*, draft: ReportDraft, step: str, values: Any) -> ReportDraft:
    """Keep what the reporter has typed into `step` so far (a QueryDict or a dict of lists)."""
    if draft.is_submitted:
        raise PolicyError(
            "transition.not_allowed",
            "This report has already been submitted.",
            tenant=draft.organisation,
            object_type="incidents.reportdraft",
            object_id=str(draft.pk),
        )
    if step not in TYPED_FIELDS:
        raise PolicyError("validation.invalid", "No such step.", tenant=draft.organisation, field="step")
    typed: dict[str, Any] = {
        name: str(values.get(name, ""))[:TYPED_MAX] for name in TYPED_FIELDS[step] if name in values
    }
    if step == "context":
        rows = []
        for index in range(50):
            row = {name: str(values.get(f"pole-{index}-{name}", ""))[:200] for name in POLE_FIELDS}
            if row["name"] and not values.get(f"pole-{index}-DELETE"):
                rows.append(row)
        typed["pole"] = rows
    draft.data.setdefault("typed", {})[step] = typed
    draft.save(update_fields=["data", "updated_at"])
    return draft


def typed_values(draft: ReportDraft, step: str) -> dict[str, Any]:
    """The values of `step` as last typed, over what the draft holds."""
    return (draft.data.get("typed") or {}).get(step, {})


def chosen_unit(draft: ReportDraft) -> OrgUnit | None:
    """Where it happened, as the reporter chose it (None: not chosen, the reporter's own unit)."""
    unit_id = draft.data.get("unit")
    return OrgUnit.objects.for_tenant(draft.organisation_id).filter(pk=unit_id).first() if unit_id else None


def draft_unit(draft: ReportDraft) -> OrgUnit | None:
    """Where it happened: the unit the reporter chose, or the reporter's own unit."""
    unit = chosen_unit(draft)
    if unit is None:
        position = primary_position(draft.reporter)
        unit = position.unit if position else None
    return unit


def draft_category(draft: ReportDraft) -> Category | None:
    code = draft.data.get("category")
    return Category.objects.for_tenant(draft.organisation_id).filter(code=code).first() if code else None


MIN_JUSTIFICATION = 15


def duplicate_candidates(draft: ReportDraft) -> list[DuplicateCandidate]:
    data = draft.data
    if first_incomplete_step(draft) != "confirm":
        return []
    return find_duplicates(
        tenant_id=draft.organisation_id,
        category_code=data["category"],
        location=data["location"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        text=f"{data['title']} {data['narrative']}",
    )


def submit_report(*, draft: ReportDraft, actor: User, duplicate_justification: str = "") -> Incident:
    """Create the incident from a complete draft. A second submit of the same draft (double
    click, second tab, retry) returns the incident created by the first. When similar open
    incidents exist, the reporter must say why this is a different event; that is audited."""
    with transaction.atomic():
        locked = (
            ReportDraft.objects.select_for_update(of=("self",))
            .select_related("reporter", "organisation__organogram_generation")
            .get(pk=draft.pk)
        )
        if locked.is_submitted:
            return locked.outcome
        candidates = duplicate_candidates(locked)
        if candidates and len(duplicate_justification.strip()) < MIN_JUSTIFICATION:
            raise PolicyError(
                "validation.invalid",
                f"Similar open incidents exist; link to one of them or say why this is a different event "
                f"(at least {MIN_JUSTIFICATION} characters).",
                tenant=locked.organisation,
                field="justification",
                candidates=[c.incident.reference for c in candidates],
            )
        if first_incomplete_step(locked) != "confirm":
            raise PolicyError(
                "validation.invalid",
                "The report is not complete yet.",
                tenant=locked.organisation,
                step=first_incomplete_step(locked),
            )
        data = locked.data
        category = draft_category(locked)
        if category is None:
            raise PolicyError(
                "validation.invalid",
                "The selected category no longer exists.",
                tenant=locked.organisation,
                field="category",
            )
        plan = plan_assignment(
            reporter=locked.reporter,
            category=category,
            kind=data["kind"],
            unit=chosen_unit(locked),
            tenant=locked.organisation,
        )
        # Someone without a position who reports is an external provider when granted as one.
        outsider = not plan.reporter_holds_position and Role.EXTERNAL_PROVIDER in roles_of(locked.reporter)
        incident = create_incident(
            tenant=locked.organisation,
            kind=data["kind"],
            source=Source.EXTERNAL_PROVIDER if outsider else Source.MANUAL,
            category=category,
            title=data["title"],
            narrative=data["narrative"],
            location=data["location"],
            unit=plan.unit,
            severity=data["severity"],
            risk_level=data["risk_level"],
            time_sensitivity=data["time_sensitivity"],
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            owner=plan.owner,
            owner_position=plan.owner_position,
            responsible=plan.responsible,
            reporter=locked.reporter,
            actor=actor,
        )
        start_incident_workflow(incident=incident, actor=actor)
        entities = [
            PoleEntity(
                organisation=locked.organisation,
                incident=incident,
                type=entity["type"],
                name=entity["name"],
                role=entity.get("role", ""),
            )
            for entity in data.get("pole", [])
        ]
        create_with_history(PoleEntity, entities)
        if candidates:
            record_event(
                tenant=locked.organisation,
                action=AuditAction.IDENTIFY,
                actor=actor,
                obj=incident,
                message="Reported as a different event despite similar open incidents: "
                + duplicate_justification.strip(),
                changes={"similar": [c.incident.reference for c in candidates]},
            )
        locked.incident = incident
        locked.save(update_fields=["incident", "updated_at"])
        notices.incident_assigned(incident)
    return incident


def link_report(*, draft: ReportDraft, target: Incident, actor: User) -> Incident:
    """The reporter confirms the report is the same event as an open incident: nothing new is
    created; the report's account and POLE entities are added to that incident, audited, and
    the draft is finished (the reporter's next report starts afresh; they see the incident
    they linked to on "my items")."""
    with transaction.atomic():
        locked = ReportDraft.objects.select_for_update().get(pk=draft.pk)
        if locked.is_submitted:
            return locked.outcome
        if target.reference not in {c.incident.reference for c in duplicate_candidates(locked)}:
            raise PolicyError(
                "validation.invalid",
                "That incident is not one of the similar open incidents.",
                tenant=locked.organisation,
                field="duplicate",
            )
        for entity in locked.data.get("pole", []):
            PoleEntity(
                organisation=locked.organisation,
                incident=target,
                type=entity["type"],
                name=entity["name"],
                role=entity.get("role", ""),
            ).save()
        record_event(
            tenant=locked.organisation,
            action=AuditAction.LINK,
            actor=actor,
            obj=target,
            message=f"{locked.reporter} reported the same event: {locked.data['title']}",
            changes={
                "narrative": locked.data["narrative"],
                "location": locked.data["location"],
                "occurred_at": locked.data["occurred_at"],
                "draft": str(locked.token),
            },
        )
        locked.linked_to = target
        locked.save(update_fields=["linked_to", "updated_at"])
    return target


def time_left(deadline: datetime | None) -> str:
    if deadline is None:
        return "—"
    seconds = int((deadline - timezone.now()).total_seconds())
    sign, seconds = ("overdue by " if seconds < 0 else ""), abs(seconds)
    hours, minutes = divmod(seconds // 60, 60)
    return f"{sign}{hours} h {minutes:02d} min" if hours else f"{sign}{minutes} min"


def submit_detection(
    *,
    account: User,
    source: Source,
    source_reference: str,
    category: Category,
    kind: str,
    title: str,
    narrative: str,
    location: str,
    severity: str,
    risk_level: str,
    time_sensitivity: str,
    occurred_at: datetime,
    unit: OrgUnit | None = None,
) -> Incident:
    """Create the incident a detection source reported (through the API, as its integration
    `account`): owner and responsible planned as for any report from where it happened, the
    source and its reference set as the immutable source anchor, its workflow started and the
    responsible person notified — in the caller's transaction."""
    with transaction.atomic():
        plan = plan_assignment(reporter=account, category=category, kind=kind, unit=unit)
        incident = create_incident(
            tenant=account.organisation,
            kind=kind,
            source=source,
            source_reference=source_reference,
            category=category,
            title=title,
            narrative=narrative,
            location=location,
            unit=plan.unit,
            severity=severity,
            risk_level=risk_level,
            time_sensitivity=time_sensitivity,
            occurred_at=occurred_at,
            owner=plan.owner,
            owner_position=plan.owner_position,
            responsible=plan.responsible,
            reporter=account,
            actor=account,
        )
        start_incident_workflow(incident=incident, actor=account)
        notices.incident_assigned(incident)
    return incident
