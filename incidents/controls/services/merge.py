"""Merge incidents into a surviving primary, and un-merge one again (seed 002 §7.1, §7.3).

One transaction: the incidents are locked in key order, the policy asked (`may_merge`), the
merged incidents' POLE entities moved to the primary and their workflows and evidence linked
to it (item by item, in the lineage), each merged incident moved to the terminal `merged`
state, the primary's clocks recomputed from the earliest report, the reconciliation checks run
(any failure rolls everything back) and the summary written to the ledger. Anchors and ledger
of the merged incidents are untouched; accountability stays with the primary's owner, and the
merged incidents' owners are told. An un-merge reads the lineage and puts everything back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.controls.models import Disposition, ItemKind, Lineage, Operation
from incidents.controls.policy import may_merge, may_unmerge
from incidents.controls.services import common
from incidents.controls.services.reconciliation import SUBJECT, census, reconcile
from incidents.core.clocks import refresh_next_clock
from incidents.core.deadlines import deadlines_for, policy_for
from incidents.core.lifecycle import audited
from incidents.models import Incident, PoleEntity
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.models import User
from iwms.transitions import run_transition
from workflows.models import Evidence, WorkflowRun

DEADLINES = ("ack_due_at", "contain_due_at", "resolve_due_at")


@dataclass(frozen=True)
class MergeOutcome:
    primary: Incident
    merged: list[Incident]
    reconciliation: dict[str, Any]


def _iso(moments: dict[str, datetime | None]) -> dict[str, str | None]:
    return {name: value.isoformat() if value else None for name, value in moments.items()}


def _earlier_deadlines(primary: Incident, group: list[Incident]) -> dict[str, datetime]:
    """The primary's deadlines as if reported at the group's earliest report (first clock
    cycle only: a reopened primary's cycle started later on purpose); each only ever moves
    earlier, and only while its clock still runs."""
    earliest = min(incident.reported_at for incident in group)
    if primary.reopened_count or earliest >= primary.reported_at:
        return {}
    recomputed = deadlines_for(primary.severity, earliest, policy_for(primary.category))
    changed = {}
    for name in DEADLINES:
        current, new = getattr(primary, name), getattr(recomputed, name)
        if current is not None and new is not None and new < current:
            changed[name] = new
    return changed


def _link_and_move(lineage: Lineage, merged: Incident, primary: Incident) -> Counter:
    """Move the POLE entities, link the workflows and evidence: what the primary gained."""
    gained: Counter = Counter()
    entities = list(PoleEntity.objects.filter(incident=merged))
    for entity in entities:
        entity.incident = primary
        entity.save(update_fields=["incident", "updated_at"])
    moved_ids = [entity.pk for entity in entities]
    gained["pole_entities"] = common.add_items(lineage, ItemKind.POLE_ENTITY, moved_ids, Disposition.MOVED)
    runs = WorkflowRun.objects.filter(
        organisation_id=merged.organisation_id, subject_type=SUBJECT, subject_id=str(merged.pk)
    )
    common.add_items(lineage, ItemKind.WORKFLOW, runs.values_list("pk", flat=True), Disposition.LINKED)
    evidence = Evidence.objects.filter(step__run__in=runs).values_list("pk", flat=True)
    common.add_items(lineage, ItemKind.EVIDENCE, evidence, Disposition.LINKED)
    return gained


@audited
def merge_incidents(*, primary: Incident, others: list[Incident], actor: User, reason: str) -> MergeOutcome:
    """Merge `others` into `primary` (see the module's docstring)."""
    common.refuse_other_tenants(actor, [primary, *others], "merge")
    reason = common.clean_reason(reason, primary)
    with transaction.atomic():
        group = common.lock([primary, *others])
        primary = next(incident for incident in group if incident.pk == primary.pk)
        others = [incident for incident in group if incident.pk != primary.pk]
        may_merge(actor, primary, others).enforce(primary)
        before = census(incident.pk for incident in group)
        moved: dict[int, Counter] = {}
        lineages = []
        earlier = _earlier_deadlines(primary, group)
        deadlines_before = {name: getattr(primary, name) for name in DEADLINES}
        for other in others:
            lineage = Lineage.objects.create(
                organisation_id=primary.organisation_id,
                operation=Operation.MERGE,
                source=other,
                target=primary,
                actor=actor,
                reason=reason,
                source_status=other.status,
                target_deadlines={"before": _iso(deadlines_before), "after": _iso({**deadlines_before, **earlier})},
            )
            lineages.append(lineage)
            gained = _link_and_move(lineage, other, primary)
            moved[other.pk] = Counter({kind: -n for kind, n in gained.items()})
            moved[primary.pk] = moved.get(primary.pk, Counter()) + gained
            run_transition(
                other,
                "merge_into",
                actor=actor,
                action=AuditAction.LINK,
                message=f"Merged into {primary.reference}: {reason}",
                extra_changes={"merged_into": primary.reference},
            )
        if earlier:
            for name, value in earlier.items():
                setattr(primary, name, value)
            primary.save(update_fields=[*earlier, "updated_at"])
        refresh_next_clock(primary)
        merged = list(Incident.objects.filter(pk__in=[other.pk for other in others]).order_by("pk"))
        summary = reconcile(before=before, incidents=[primary, *merged], lineages=lineages, moved=moved)
        for lineage in lineages:
            lineage.reconciliation = summary
            lineage.save(update_fields=["reconciliation"])
        record_event(
            tenant=primary.organisation_id,
            action=AuditAction.LINK,
            actor=actor,
            obj=primary,
            message=f"Merged {', '.join(m.reference for m in merged)} into this incident: {reason}",
            changes={
                "merged": [m.reference for m in merged],
                "deadlines": {name: [_iso(deadlines_before)[name], v.isoformat()] for name, v in earlier.items()},
                "reconciliation": summary,
            },
        )
        common.tell_owners(
            incidents=merged,
            actor=actor,
            event="incident.merged",
            subject="{reference} was merged into " + primary.reference,
            body="{reference} '{title}' was merged into " + f"{primary.reference}, owned by {primary.owner}: {reason}",
            url_of=common.detail_url,
        )
    return MergeOutcome(primary=primary, merged=merged, reconciliation=summary)


def live_merge_of(incident: Incident) -> Lineage | None:
    return (
        Lineage.objects.filter(source=incident, operation=Operation.MERGE, reversed_at__isnull=True)
        .select_related("target")
        .first()
    )


@audited
def unmerge_incident(*, merged: Incident, actor: User, reason: str) -> Incident:
    """Restore a merged incident from its lineage: its POLE entities move back, its workflows
    and evidence are no longer linked to the primary, it returns to the status it had, and the
    primary's deadlines go back to what they were unless they have moved since."""
    common.refuse_other_tenants(actor, [merged], "un-merge")
    reason = common.clean_reason(reason, merged)
    with transaction.atomic():
        lineage = live_merge_of(merged)
        primary = lineage.target if lineage else None
        group = common.lock([merged, *([primary] if primary else [])])
        merged = next(incident for incident in group if incident.pk == merged.pk)
        primary = next((incident for incident in group if primary and incident.pk == primary.pk), None)
        may_unmerge(actor, merged, primary).enforce(merged)
        lineage = Lineage.objects.select_for_update().get(pk=lineage.pk)
        before = census([merged.pk, primary.pk])
        back = list(lineage.items.filter(kind=ItemKind.POLE_ENTITY, disposition=Disposition.MOVED))
        entities = list(PoleEntity.objects.filter(pk__in=[item.item_id for item in back], incident=primary))
        for entity in entities:
            entity.incident = merged
            entity.save(update_fields=["incident", "updated_at"])
        after_merge = lineage.target_deadlines.get("after", {})
        current = _iso({name: getattr(primary, name) for name in DEADLINES})
        restored = {}
        if after_merge and current == after_merge and after_merge != lineage.target_deadlines.get("before"):
            for name, value in lineage.target_deadlines["before"].items():
                restored[name] = datetime.fromisoformat(value) if value else None
                setattr(primary, name, restored[name])
            primary.save(update_fields=[*restored, "updated_at"])
        lineage.reversed_at = timezone.now()
        lineage.reversed_by = actor
        lineage.save(update_fields=["reversed_at", "reversed_by"])
        merged = run_transition(
            merged,
            "unmerge",
            actor=actor,
            action=AuditAction.LINK,
            message=f"Un-merged from {primary.reference}: {reason}",
            extra_changes={"unmerged_from": primary.reference},
            restore=lineage.source_status,
        )
        refresh_next_clock(merged)
        refresh_next_clock(primary)
        n = len(entities)
        summary = reconcile(
            before=before,
            incidents=[primary, merged],
            lineages=[],
            moved={merged.pk: Counter(pole_entities=n), primary.pk: Counter(pole_entities=-n)},
        )
        record_event(
            tenant=primary.organisation_id,
            action=AuditAction.LINK,
            actor=actor,
            obj=primary,
            message=f"{merged.reference} un-merged from this incident: {reason}",
            changes={"unmerged": merged.reference, "deadlines_restored": bool(restored), "reconciliation": summary},
        )
        common.tell_owners(
            incidents=[merged],
            actor=actor,
            event="incident.unmerged",
            subject="{reference} was un-merged from " + primary.reference,
            body="{reference} '{title}' is its own incident again: " + reason,
            url_of=common.detail_url,
        )
    return merged
