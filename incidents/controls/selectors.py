"""Reads of the controls slice: an incident's lineage both ways, and what a split can take."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from incidents.controls.models import ItemKind, Lineage, Operation
from incidents.models import Incident
from workflows.models import Evidence, Step

SUBJECT = "incidents.incident"


@dataclass
class LineageView:
    merged_into: Lineage | None = None  # this incident was merged into lineage.target
    merged_in: list[Lineage] = field(default_factory=list)  # these were merged into this one
    split_from: Lineage | None = None
    split_into: list[Lineage] = field(default_factory=list)
    reversed: list[Lineage] = field(default_factory=list)  # un-merged, kept on record
    carried_evidence: list[Evidence] = field(default_factory=list)  # linked here by a split

    @property
    def any(self) -> bool:
        return bool(self.merged_into or self.merged_in or self.split_from or self.split_into or self.reversed)


def lineage_of(incident: Incident) -> LineageView:
    """One query for the lineage, one more when a split carried evidence here."""
    view = LineageView()
    lineages = list(
        Lineage.objects.filter(organisation_id=incident.organisation_id)
        .filter(Q(source=incident) | Q(target=incident))
        .select_related("source", "target", "actor")
    )
    for lineage in lineages:
        outgoing = lineage.source_id == incident.pk
        if lineage.reversed_at is not None:
            view.reversed.append(lineage)
        elif lineage.operation == Operation.MERGE:
            if outgoing:
                view.merged_into = lineage
            else:
                view.merged_in.append(lineage)
        elif outgoing:
            view.split_into.append(lineage)
        else:
            view.split_from = lineage
    if view.split_from is not None:
        ids = view.split_from.items.filter(kind=ItemKind.EVIDENCE).values_list("item_id", flat=True)
        view.carried_evidence = list(Evidence.objects.filter(pk__in=ids).select_related("step"))
    return view


def split_choices(incident: Incident) -> dict[str, list[tuple[int, str]]]:
    """The incident's own POLE entities, evidence and steps, for the split form."""
    steps = list(
        Step.objects.filter(run__subject_type=SUBJECT, run__subject_id=str(incident.pk)).order_by("run_id", "position")
    )
    evidence = Evidence.objects.filter(step__in=steps).select_related("step").order_by("step_id", "id")
    return {
        "pole_entities": [(e.pk, str(e)) for e in incident.pole_entities.all()],
        "evidence": [(e.pk, f"{e} (step {e.step.position})") for e in evidence],
        "steps": [(s.pk, f"{s.position}. {s.name}") for s in steps],
    }
