"""The monthly organogram verification (seed 000 §11.1): on the first working day of each
month every department head receives a system-generated *organogram verification* incident for
their unit, with its workflow; signing the checklist of the unit's actual rows off completes
the workflow and records the verified snapshot the unit's page shows.

The incident runs on the normal SLA clocks of its category, so non-completion warns, breaches
and escalates up the organogram like any other incident (`incidents.services.sweep`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentKind, IncidentStatus, RiskLevel, Severity, Source, SystemReason, TimeSensitivity
from incidents.core import lifecycle
from incidents.governance.choices import RowVerdict
from incidents.governance.models import Verification
from incidents.models import Category, Incident
from incidents.work.services import execution as work
from iwms.audit import record_event
from iwms.audited_rows import save_audited
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation, User
from iwms.refusals import audited_refusals
from organogram.choices import AssignmentKind, UnitKind
from organogram.hierarchy import assignments_at, holder_of
from organogram.models import OrgUnit, Position
from workflows.choices import EvidenceKind, EvidenceSource
from workflows.models import Step
from workflows.services import runs as run_services
from workflows.services.templates import current_template, install_template

TEMPLATE_CODE = "organogram_verification"
TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template_library" / f"{TEMPLATE_CODE}.json"
GOVERNANCE_CATEGORY = "GOV.ORGANOGRAM"
MIN_CHANGE_NOTE = 10
MIN_SIGN_OFF = 20
SUBJECT = "incidents.incident"


def first_working_day(day: date) -> date:
    """The first Monday-to-Friday of `day`'s month."""
    first = day.replace(day=1)
    while first.weekday() >= 5:
        first += timedelta(days=1)
    return first


def governance_category(tenant: Organisation, actor: Any = "governance") -> Category:
    """The tenant's category for organogram governance incidents (created on first use, never
    offered to reporters)."""
    category = Category.objects.for_tenant(tenant).filter(code=GOVERNANCE_CATEGORY).first()
    if category is None:
        category = Category(
            organisation=tenant,
            code=GOVERNANCE_CATEGORY,
            name="Organogram governance",
            description="Verification and correction of the organogram: positions, reporting lines, holders.",
            offered_to_reporters=False,
        )
        save_audited(obj=category, actor=actor)
    return category


def _template(tenant: Organisation, actor: Any) -> Any:
    template = current_template(tenant=tenant, code=TEMPLATE_CODE)
    if template is None:
        spec = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
        template, _ = install_template(tenant=tenant, spec=spec, actor=actor)
    return template


# --- the checklist of actual rows ---------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One position of the unit as the organogram holds it now."""

    key: str
    position_id: int
    code: str
    title: str
    unit: str
    holder: str
    acting: str
    reports_to: str
    shift: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def unit_rows(unit: OrgUnit, at: datetime | None = None) -> list[Row]:
    """Every active position of the unit and the units below it, with holder, acting holder,
    reporting line and shift: a fixed number of queries."""
    at = at or timezone.now()
    units = OrgUnit.objects.descendants(unit, include_self=True)
    positions = list(
        Position.objects.filter(unit__in=units, is_active=True)
        .select_related("unit", "shift", "parent")
        .order_by("unit__name", "parent_id", "title")
    )
    ids = {p.pk for p in positions} | {p.parent_id for p in positions if p.parent_id}
    held: dict[tuple[int, str], str] = {}
    for assignment in assignments_at(at).filter(position_id__in=ids).select_related("person"):
        held[(assignment.position_id, assignment.kind)] = assignment.person.get_full_name() or str(assignment.person)
    rows = []
    for p in positions:
        boss = ""
        if p.parent_id:
            above = held.get((p.parent_id, AssignmentKind.SUBSTANTIVE)) or held.get(
                (p.parent_id, AssignmentKind.ACTING)
            )
            boss = f"{p.parent} ({above or 'vacant'})"
        rows.append(
            Row(
                key=f"position-{p.pk}",
                position_id=p.pk,
                code=p.code,
                title=p.title,
                unit=p.unit.name,
                holder=held.get((p.pk, AssignmentKind.SUBSTANTIVE), ""),
                acting=held.get((p.pk, AssignmentKind.ACTING), ""),
                reports_to=boss,
                shift=str(p.shift) if p.shift_id else "",
            )
        )
    return rows


# --- starting the month's verifications ---------------------------------------------------------


def start_verification(*, unit: OrgUnit, period: date, actor: Any = "governance") -> Verification | None:
    """The verification of `unit` for the month of `period`: its incident for the department
    head and its workflow. Idempotent (one per unit and month); None when nobody heads it."""
    period = period.replace(day=1)
    existing = Verification.objects.filter(unit=unit, period=period).first()
    if existing is not None:
        return existing
    head_position = Position.objects.filter(unit=unit, is_unit_head=True, is_active=True).first()
    head = holder_of(head_position) if head_position else None
    if head is None:
        return None
    tenant = unit.organisation
    with transaction.atomic():
        template = _template(tenant, actor)
        incident = lifecycle.create_incident(
            tenant=tenant,
            kind=IncidentKind.OTHER_GOVERNED_EVENT,
            source=Source.SYSTEM,
            system_reason=SystemReason.ORGANOGRAM_VERIFICATION,
            category=governance_category(tenant, actor),
            title=f"Organogram verification of {unit}, {period:%B %Y}",
            narrative=(
                f"Confirm or correct the organogram of {unit} as it is on the first working day of "
                f"{period:%B %Y}: team composition, shifts, supervisory lines and role assignments, position by "
                "position. Correct what is wrong on the unit's organogram page; the signed-off checklist is kept "
                "as the unit's verified snapshot. This is governance of the structure, not a finding against anyone."
            ),
            location=unit.name,
            unit=unit,
            severity=Severity.SEV4,
            risk_level=RiskLevel.LOW,
            time_sensitivity=TimeSensitivity.ROUTINE,
            occurred_at=timezone.now(),
            owner=head,
            owner_position=head_position,
            responsible=head,
            reporter=None,
            actor=actor,
        )
        run_services.start_workflow(
            tenant=tenant,
            template=template,
            subject_type=SUBJECT,
            subject_id=str(incident.pk),
            title=f"{incident.reference}: {template.name}",
            responsible=head,
            started_at=incident.reported_at,
            actor=actor,
        )
        verification = Verification(
            organisation=tenant,
            unit=unit,
            period=period,
            incident_id=incident.pk,
            incident_reference=incident.reference,
        )
        verification.save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor,
            obj=verification,
            message=f"Monthly organogram verification of {unit} for {period:%B %Y} sent to {head} as "
            f"{incident.reference}.",
            changes={"unit": unit.pk, "period": period.isoformat(), "incident": incident.pk},
        )
    return verification


def start_monthly_verifications(*, today: date | None = None) -> list[Verification]:
    """On the first working day of the month, each department of each active tenant gets its
    verification (idempotent: run hourly by beat, it starts each one once). Returns the ones
    started now."""
    today = today or timezone.localdate()
    if today != first_working_day(today):
        return []
    started = []
    done = Verification.objects.filter(period=today.replace(day=1)).values("unit_id")
    units = OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT, organisation__is_active=True).exclude(pk__in=done)
    for unit in units.select_related("organisation"):
        verification = start_verification(unit=unit, period=today)
        if verification is not None:
            started.append(verification)
    return started


# --- signing it off ------------------------------------------------------------------------------

STEP_TEXT = {
    "team_composition": lambda r: f"{r['title']}: held by {r['holder'] or 'nobody (vacant)'}",
    "shifts": lambda r: f"{r['title']}: shift {r['shift'] or 'none'}",
    "supervisory_lines": lambda r: f"{r['title']}: reports to {r['reports_to'] or 'nobody (top)'}",
    "role_assignments": lambda r: f"{r['title']}: acting {r['acting'] or 'none'}",
}


def record_verification(
    *, verification: Verification, actor: User, verdicts: dict[str, tuple[str, str]], sign_off: str
) -> Verification:
    """The department head signs the checklist off: every row of the unit confirmed, or marked
    corrected with what changed. Each step of the workflow gets its part of the checklist as
    evidence and is completed, the work is submitted (half-closed: the automated review and the
    supervisor's decision follow as for any incident), and the snapshot is kept."""
    with audited_refusals(actor=actor), transaction.atomic():
        locked = Verification.objects.select_for_update().get(pk=verification.pk)
        incident = Incident.objects.get(pk=locked.incident_id)
        if incident.responsible_id != actor.pk:
            raise PolicyError.on(
                "access_denied",
                f"Only {incident.responsible}, responsible for {incident.reference}, signs it off.",
                locked,
            )
        if locked.verified_at is not None:
            raise PolicyError.on("transition.not_allowed", "This verification is already signed off.", locked)
        rows = [row.as_dict() for row in unit_rows(locked.unit)]
        for row in rows:
            verdict, note = verdicts.get(row["key"], ("", ""))
            if verdict not in RowVerdict.values:
                raise PolicyError.on(
                    "validation.invalid", f"Confirm or correct {row['title']}.", locked, field=row["key"]
                )
            if verdict == RowVerdict.CHANGED and len(note.strip()) < MIN_CHANGE_NOTE:
                raise PolicyError.on(
                    "validation.invalid",
                    f"Say what changed for {row['title']} (at least {MIN_CHANGE_NOTE} characters).",
                    locked,
                    field=row["key"],
                )
            row["verdict"], row["note"] = verdict, note.strip()
        sign_off = (sign_off or "").strip()
        if len(sign_off) < MIN_SIGN_OFF:
            raise PolicyError.on(
                "validation.invalid",
                f"Write the sign-off (at least {MIN_SIGN_OFF} characters).",
                locked,
                field="sign_off",
            )
        if incident.status == IncidentStatus.OPEN:
            incident = lifecycle.acknowledge_incident(incident=incident, actor=actor)
        _complete_steps(incident, actor, rows, sign_off)
        work.complete_work(incident=Incident.objects.get(pk=incident.pk), actor=actor)
        locked.snapshot = rows
        locked.sign_off = sign_off
        locked.verifier = actor
        locked.verified_at = timezone.now()
        locked.save()
        changed = [row["title"] for row in rows if row["verdict"] == RowVerdict.CHANGED]
        record_event(
            tenant=locked.organisation_id,
            action=AuditAction.REVIEW,
            actor=actor,
            obj=locked,
            message=f"Organogram of {locked.unit} verified for {locked.period:%B %Y}: {len(rows)} positions, "
            f"{len(changed)} corrected.",
            changes={"rows": len(rows), "corrected": changed, "incident": incident.pk},
        )
    return locked


def _complete_steps(incident: Incident, actor: User, rows: list[dict[str, Any]], sign_off: str) -> None:
    run = work.workflow_of(incident)
    steps = {step.key: step for step in Step.objects.filter(run=run)}
    texts = dict.fromkeys(STEP_TEXT, "")
    for key, describe in STEP_TEXT.items():
        texts[key] = (
            "\n".join(
                describe(row)
                + (" — confirmed" if row["verdict"] == RowVerdict.CONFIRMED else f" — corrected: {row['note']}")
                for row in rows
            )
            or "The unit has no active positions."
        )
    texts["sign_off"] = sign_off
    for key, text in texts.items():
        step = steps.get(key)
        if step is None or step.is_done:
            continue
        work.add_step_evidence(
            incident=incident,
            step=step,
            actor=actor,
            kind=EvidenceKind.NARRATIVE,
            source=EvidenceSource.UPLOAD,
            collected_at=timezone.now(),
            relevance="Monthly organogram verification checklist",
            text=text,
            location=incident.location,
        )
        work.complete_step(incident=incident, step=Step.objects.get(pk=step.pk), actor=actor)


def last_verified(unit: OrgUnit) -> Verification | None:
    return Verification.objects.filter(unit=unit, verified_at__isnull=False).select_related("verifier").first()
