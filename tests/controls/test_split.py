"""Split with explicit selection, a derived incident with its own anchors, provenance and clocks."""

from __future__ import annotations

import pytest

from incidents.choices import IncidentStatus, Source
from incidents.controls.models import ItemKind, Lineage, Operation
from incidents.controls.services.split import split_incident
from incidents.core.clocks import compute_next_clock
from incidents.models import Incident, PoleEntity
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.incidents.test_work import add_photo, own_steps
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db
REASON = "The damaged conveyor is a separate equipment failure."


def test_split_moves_only_what_was_chosen_into_a_derived_incident(pair, people):
    primary, _ = pair
    step = own_steps(primary, people["responsible"])[0]
    photo = add_photo(primary, step, people["responsible"])
    conveyor = PoleEntity.objects.create(
        organisation=primary.organisation, incident=primary, type="object", name="Conveyor"
    )
    derived = split_incident(
        incident=primary,
        actor=people["depthead"],
        title="Conveyor damaged by the fall",
        reason=REASON,
        pole_ids=[conveyor.pk],
        evidence_ids=[photo.pk],
        step_ids=[step.pk],
    )
    assert derived.source == Source.SPLIT and derived.source_reference == primary.reference
    assert derived.parent == primary and derived.status == IncidentStatus.OPEN
    assert derived.owner is not None and derived.responsible is not None
    assert WorkflowRun.objects.filter(subject_id=str(derived.pk), kind="main").count() == 1
    assert derived.next_clock_at == compute_next_clock(derived) is not None
    assert list(PoleEntity.objects.filter(incident=derived).values_list("name", flat=True)) == ["Conveyor"]
    assert list(PoleEntity.objects.filter(incident=primary).values_list("name", flat=True)) == ["Loading box"]
    lineage = Lineage.objects.get(operation=Operation.SPLIT)
    assert (lineage.source, lineage.target) == (primary, derived)
    assert sorted(lineage.items.values_list("kind", flat=True)) == [
        ItemKind.EVIDENCE,
        ItemKind.POLE_ENTITY,
        ItemKind.STEP,
    ]
    # The evidence stays where it was collected (linked, not copied).
    photo.refresh_from_db()
    assert photo.step_id == step.pk
    # Both timelines show the split.
    for incident in (primary, derived):
        assert AuditEvent.objects.filter(object_id=str(incident.pk), changes__split__isnull=False).exists()
    assert Incident.objects.get(pk=primary.pk).next_clock_at == compute_next_clock(primary)


def test_nothing_is_split_implicitly(pair, people):
    primary, earlier = pair
    with pytest.raises(PolicyError) as empty:
        split_incident(incident=primary, actor=people["depthead"], title="Conveyor damaged", reason=REASON)
    assert empty.value.code == "validation.invalid" and "Choose what goes" in empty.value.message
    other = PoleEntity.objects.filter(incident=earlier).first()
    with pytest.raises(PolicyError) as stray:
        split_incident(
            incident=primary, actor=people["depthead"], title="Conveyor damaged", reason=REASON, pole_ids=[other.pk]
        )
    assert f"not POLE entity {other.pk}" in stray.value.message
    assert not Incident.objects.filter(source=Source.SPLIT).exists()


def test_who_may_split(pair, people):
    primary, _ = pair
    pole = PoleEntity.objects.filter(incident=primary).first()
    with pytest.raises(PolicyError) as refused:
        split_incident(
            incident=primary, actor=people["reporter"], title="Conveyor damaged", reason=REASON, pole_ids=[pole.pk]
        )
    assert refused.value.code == "access_denied"
    assert AuditEvent.objects.filter(actor=people["reporter"], action="access_denied").exists()
