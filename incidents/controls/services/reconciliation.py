"""The integrity checks a merge, un-merge or split runs inside its own transaction (seed 002 §7.3).

`census` counts what belongs to each incident before the operation; `reconcile` checks after it
that every reference resolves in the tenant, that no evidence sits in two places unless linked,
that no step is orphaned, that the counts before equal the counts after (moved rows counted
where they went), and that the clocks are consistent. Any failure raises
`merge.reconciliation_failed`, which rolls the whole operation back; the summary it returns
goes to the ledger with the operation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from incidents.choices import FINAL_STATUSES
from incidents.controls.models import Disposition, ItemKind, Lineage, LineageItem
from incidents.core.clocks import compute_next_clock
from incidents.models import Incident, PoleEntity
from iwms.errors import PolicyError
from workflows.models import Evidence, Step, WorkflowRun

SUBJECT = "incidents.incident"
KINDS = ("pole_entities", "workflows", "steps", "evidence")


@dataclass
class Census:
    """How many rows of each kind belong to each incident."""

    counts: dict[int, Counter] = field(default_factory=dict)

    def total(self, kind: str) -> int:
        return sum(counter[kind] for counter in self.counts.values())

    def of(self, incident_id: int) -> Counter:
        return self.counts.get(incident_id, Counter())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {str(pk): {kind: counter[kind] for kind in KINDS} for pk, counter in sorted(self.counts.items())}


def census(incident_ids: Iterable[int]) -> Census:
    """Four grouped counts, whatever the number of incidents."""
    ids = sorted(set(incident_ids))
    subjects = [str(pk) for pk in ids]
    found = Census({pk: Counter() for pk in ids})
    for row in PoleEntity.objects.filter(incident_id__in=ids).values("incident_id").annotate(n=Count("id")):
        found.counts[row["incident_id"]]["pole_entities"] = row["n"]
    runs = WorkflowRun.objects.filter(subject_type=SUBJECT, subject_id__in=subjects)
    for row in runs.values("subject_id").annotate(n=Count("id")):
        found.counts[int(row["subject_id"])]["workflows"] = row["n"]
    steps = Step.objects.filter(run__subject_type=SUBJECT, run__subject_id__in=subjects)
    for row in steps.values("run__subject_id").annotate(n=Count("id")):
        found.counts[int(row["run__subject_id"])]["steps"] = row["n"]
    evidence = Evidence.objects.filter(step__run__subject_type=SUBJECT, step__run__subject_id__in=subjects)
    for row in evidence.values("step__run__subject_id").annotate(n=Count("id")):
        found.counts[int(row["step__run__subject_id"])]["evidence"] = row["n"]
    return found


_MODELS = {
    ItemKind.POLE_ENTITY: PoleEntity,
    ItemKind.EVIDENCE: Evidence,
    ItemKind.STEP: Step,
    ItemKind.WORKFLOW: WorkflowRun,
}


def _unresolved(tenant_id: int, items: list[LineageItem]) -> list[str]:
    """Lineage items whose row is missing or belongs to another tenant."""
    problems = []
    for kind, model in _MODELS.items():
        wanted = {item.item_id for item in items if item.kind == kind}
        if not wanted:
            continue
        found = dict(model._base_manager.filter(pk__in=wanted).values_list("pk", "organisation_id"))
        for pk in sorted(wanted):
            if pk not in found:
                problems.append(f"{kind} {pk} no longer exists")
            elif found[pk] != tenant_id:
                problems.append(f"{kind} {pk} belongs to another organisation")
    return problems


def _linked_twice(target_ids: Iterable[int]) -> list[str]:
    """Evidence shown in two places: linked more than once into the same incident by live lineage."""
    rows = (
        LineageItem.objects.filter(
            lineage__target_id__in=list(target_ids), lineage__reversed_at__isnull=True, kind=ItemKind.EVIDENCE
        )
        .values("lineage__target_id", "item_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return [f"evidence {row['item_id']} is linked twice into one incident" for row in rows]


def _orphaned_steps(incident_ids: list[int]) -> list[str]:
    """Steps whose workflow's subject is not an incident of the tenant any more."""
    subjects = {str(pk) for pk in incident_ids}
    existing = {str(pk) for pk in Incident.objects.filter(pk__in=incident_ids).values_list("pk", flat=True)}
    return [f"the workflows of incident {pk} lost their incident" for pk in sorted(subjects - existing)]


def _clock_problems(incidents: list[Incident]) -> list[str]:
    problems = []
    for incident in incidents:
        stored = Incident.objects.filter(pk=incident.pk).values_list("next_clock_at", flat=True).first()
        if incident.status in FINAL_STATUSES:
            if stored is not None:
                problems.append(f"{incident.reference} is {incident.status} but a clock still runs")
        elif stored != compute_next_clock(incident):
            problems.append(f"{incident.reference}'s next clock is not the one its deadlines give")
    return problems


def reconcile(
    *,
    before: Census,
    incidents: list[Incident],
    lineages: list[Lineage],
    moved: dict[int, Counter],
) -> dict[str, Any]:
    """Check the incidents after the operation against `before`; `moved` says, per incident,
        how many rows of each kind it gained (positive) or gave away (negative); rows the operation
    created (a derived incident's own workflow) count as gained and nowhere given away. Raises
        `merge.reconciliation_failed` naming every problem; returns the summary otherwise."""
    tenant_id = incidents[0].organisation_id
    ids = [incident.pk for incident in incidents]
    after = census(ids)
    problems: list[str] = []
    for kind in KINDS:
        created = sum(delta[kind] for delta in moved.values())
        if before.total(kind) + created != after.total(kind):
            problems.append(f"{kind}: {before.total(kind)} before and {created} created, {after.total(kind)} after")
    for pk in ids:
        for kind in KINDS:
            expected = before.of(pk)[kind] + moved.get(pk, Counter())[kind]
            if after.of(pk)[kind] != expected:
                problems.append(f"incident {pk} has {after.of(pk)[kind]} {kind}, expected {expected}")
    items = list(LineageItem.objects.filter(lineage__in=lineages))
    problems += _unresolved(tenant_id, items)
    moved_poles = [i.item_id for i in items if i.kind == ItemKind.POLE_ENTITY and i.disposition == Disposition.MOVED]
    foreign = PoleEntity.objects.filter(pk__in=moved_poles).exclude(organisation_id=tenant_id).count()
    if foreign:
        problems.append(f"{foreign} moved POLE entities belong to another organisation")
    problems += _linked_twice(lineage.target_id for lineage in lineages)
    problems += _orphaned_steps(ids)
    problems += _clock_problems(incidents)
    if problems:
        raise PolicyError(
            "merge.reconciliation_failed",
            "The integrity checks failed, so nothing was changed: " + "; ".join(problems) + ".",
            tenant=incidents[0].organisation,
            object_type="incidents.incident",
            object_id=str(incidents[0].pk),
            problems=problems,
        )
    return {
        "checks": ["references resolve", "no evidence twice", "no orphaned steps", "counts kept", "clocks consistent"],
        "before": before.as_dict(),
        "after": after.as_dict(),
        "lineage_items": len(items),
    }
