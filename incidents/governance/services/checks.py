"""The nightly structural check (seed 000 §12): finds roles that no longer exist but are still
named by accountability rules or categories, vacant supervisory levels on live routes, people
with no supervisor, positions with a substantive and an acting holder at once, and escalation
chains that end before the top. Each finding is raised once as an organogram-mismatch incident
for the department head and stays open until a later check no longer finds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from django.db import transaction
from django.utils import timezone

from arc.models import AccountabilityRule
from incidents.governance.models import CheckRun, StructuralFinding
from incidents.governance.services.mismatches import raise_mismatch
from incidents.models import Category
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.models import Organisation
from organogram.choices import AssignmentKind
from organogram.hierarchy import assignments_at
from organogram.models import OrgUnit, Position

NIGHTLY_AFTER = time(1, 0)  # local time from which the day's check runs


@dataclass(frozen=True)
class Found:
    key: str
    kind: str
    unit_id: int | None
    detail: str


def find_problems(tenant: Organisation) -> list[Found]:
    """What is wrong in the tenant's organogram now: a fixed number of queries."""
    found: list[Found] = []
    positions = {p.pk: p for p in Position.objects.for_tenant(tenant).select_related("unit")}
    open_rows = list(
        assignments_at()
        .filter(organisation=tenant, person__is_active=True)
        .values_list("position_id", "kind", "person_id")
    )
    filled = {pos for pos, _kind, _person in open_rows}
    kinds: dict[int, set[str]] = {}
    for pos, kind, _person in open_rows:
        kinds.setdefault(pos, set()).add(kind)
    for rule in AccountabilityRule.objects.for_tenant(tenant).filter(
        is_active=True, accountable_position__is_active=False
    ):
        position = positions[rule.accountable_position_id]
        found.append(
            Found(
                f"retired-rule-{rule.pk}",
                "retired_role",
                position.unit_id,
                f"Accountability rule #{rule.pk} names {position}, a role that no longer exists.",
            )
        )
    for category in Category.objects.for_tenant(tenant).filter(is_active=True, custodian_position__is_active=False):
        position = positions[category.custodian_position_id]
        found.append(
            Found(
                f"retired-custodian-{category.pk}",
                "retired_role",
                position.unit_id,
                f"Category {category.code} names {position}, a role that no longer exists, as custodian.",
            )
        )
    below: dict[int, list[Position]] = {}
    for p in positions.values():
        if p.is_active and p.parent_id:
            below.setdefault(p.parent_id, []).append(p)
    for pk, position in positions.items():
        if not position.is_active:
            continue
        if pk not in filled and any(child.pk in filled for child in below.get(pk, [])):
            found.append(
                Found(
                    f"vacant-level-{pk}",
                    "vacant_supervisor",
                    position.unit_id,
                    f"{position} is vacant while people report to it: their incidents skip a level.",
                )
            )
        if {AssignmentKind.SUBSTANTIVE, AssignmentKind.ACTING} <= kinds.get(pk, set()):
            found.append(
                Found(
                    f"two-holders-{pk}",
                    "two_holders",
                    position.unit_id,
                    f"{position} has a substantive and an acting holder at the same time.",
                )
            )
        if pk in filled and position.parent_id is not None:
            chain_ok = False
            parent = positions.get(position.parent_id)
            seen = 0
            while parent is not None and seen < 100:
                if parent.is_active and parent.pk in filled:
                    chain_ok = True
                    break
                parent = positions.get(parent.parent_id) if parent.parent_id else None
                seen += 1
            if not chain_ok:
                found.append(
                    Found(
                        f"no-supervisor-{pk}",
                        "no_supervisor",
                        position.unit_id,
                        f"The holder of {position} has nobody above them: their escalation chain ends early.",
                    )
                )
    return found


def run_structural_check(*, tenant: Organisation, day: date | None = None) -> CheckRun | None:
    """Check the tenant once for `day`: raise what is new, resolve what is gone. Returns None
    when the day's check has run already."""
    day = day or timezone.localdate()
    with transaction.atomic():
        run, created = CheckRun.objects.get_or_create(organisation=tenant, day=day)
        if not created:
            return None
        problems = {f.key: f for f in find_problems(tenant)}
        open_findings = {
            f.key: f for f in StructuralFinding.objects.for_tenant(tenant).filter(resolved_at__isnull=True)
        }
        now = timezone.now()
        units = OrgUnit.objects.for_tenant(tenant).in_bulk({f.unit_id for f in problems.values() if f.unit_id})
        for key, problem in problems.items():
            if key in open_findings:
                continue
            incident = raise_mismatch(
                tenant=tenant,
                unit=units.get(problem.unit_id),
                title=f"Organogram check: {problem.detail}"[:200],
                narrative=f"The nightly structural check of {day:%Y-%m-%d} found: {problem.detail}",
            )
            finding = StructuralFinding(
                organisation=tenant,
                key=key,
                kind=problem.kind,
                unit_id=problem.unit_id,
                detail=problem.detail[:400],
                incident_reference=incident.reference,
                found_at=now,
            )
            finding.save()
            run.found += 1
        for key, finding in open_findings.items():
            if key not in problems:
                finding.resolved_at = now
                finding.save(update_fields=["resolved_at", "updated_at"])
                run.resolved += 1
        run.save()
        record_event(
            tenant=tenant,
            action=AuditAction.REVIEW,
            actor="governance",
            obj=run,
            message=f"Nightly structural check: {run.found} new findings, {run.resolved} resolved.",
            changes={"found": run.found, "resolved": run.resolved},
        )
    return run


def run_nightly_checks(*, now=None) -> list[CheckRun]:
    """Beat's hourly call: each active tenant is checked once a day, from `NIGHTLY_AFTER`."""
    local = timezone.localtime(now or timezone.now())
    if local.time() < NIGHTLY_AFTER:
        return []
    runs = []
    for tenant in Organisation.objects.filter(is_active=True):
        run = run_structural_check(tenant=tenant, day=local.date())
        if run is not None:
            runs.append(run)
    return runs
