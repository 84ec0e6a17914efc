"""Merge into a surviving primary, the reconciliation inside its transaction, and un-merge."""

from __future__ import annotations

import pytest

from incidents.choices import IncidentStatus
from incidents.controls.models import Disposition, ItemKind, Lineage
from incidents.controls.services import merge as merging
from incidents.core.clocks import compute_next_clock
from incidents.models import Incident, PoleEntity
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification
from tests.incidents.test_work import add_photo, own_steps

pytestmark = pytest.mark.django_db
REASON = "The same fall of ground reported twice by two crews."


def test_merge_moves_links_and_keeps_lineage_both_ways(pair, people):
    primary, earlier = pair
    photo = add_photo(earlier, own_steps(earlier, people["responsible"])[0], people["responsible"])
    earlier.refresh_from_db()
    before_resolve = primary.resolve_due_at
    outcome = merging.merge_incidents(primary=primary, others=[earlier], actor=people["top"], reason=REASON)

    earlier = Incident.objects.get(pk=earlier.pk)
    primary = Incident.objects.get(pk=primary.pk)
    assert earlier.status == IncidentStatus.MERGED and earlier.next_clock_at is None
    assert sorted(PoleEntity.objects.filter(incident=primary).values_list("name", flat=True)) == [
        "Barricade tape",
        "Loading box",
        "Scaling bar",
    ]
    lineage = Lineage.objects.get(source=earlier)
    assert lineage.target == primary and lineage.source_status == IncidentStatus.IN_PROGRESS
    assert primary.lineage_in.get() == lineage  # both ways
    assert lineage.items.filter(kind=ItemKind.EVIDENCE, item_id=photo.pk, disposition=Disposition.LINKED).exists()
    assert lineage.items.filter(kind=ItemKind.POLE_ENTITY, disposition=Disposition.MOVED).count() == 2
    # The primary's clocks run from the earliest report now.
    assert primary.resolve_due_at < before_resolve
    assert primary.next_clock_at == compute_next_clock(primary)
    assert outcome.reconciliation["checks"][-1] == "clocks consistent"
    # Anchors untouched; the ledger says it on both incidents.
    assert earlier.source == "manual" and earlier.owner == people["depthead"]
    event = AuditEvent.objects.filter(object_id=str(primary.pk), action="link").latest("seq")
    assert event.changes["merged"] == [earlier.reference] and "reconciliation" in event.changes
    assert AuditEvent.objects.filter(object_id=str(earlier.pk), changes__merged_into=primary.reference).exists()
    # Accountability stays with the primary's owner; the merged owner is told.
    assert Notification.objects.filter(recipient=people["depthead"], event="incident.merged").count() == 1


def test_who_may_merge_is_a_policy_and_refusals_are_audited(pair, people):
    primary, earlier = pair
    with pytest.raises(PolicyError) as refused:
        merging.merge_incidents(primary=primary, others=[earlier], actor=people["reporter"], reason=REASON)
    assert refused.value.code == "access_denied"
    assert Incident.objects.get(pk=earlier.pk).status == IncidentStatus.IN_PROGRESS
    assert AuditEvent.objects.filter(actor=people["reporter"], action="access_denied").exists()
    # The owner of both merges.
    merging.merge_incidents(primary=primary, others=[earlier], actor=people["depthead"], reason=REASON)
    # A merged incident is not merged again, nor chosen as primary.
    with pytest.raises(PolicyError) as again:
        merging.merge_incidents(primary=earlier, others=[primary], actor=people["depthead"], reason=REASON)
    assert again.value.code == "merge.not_mergeable"


def test_a_failed_reconciliation_rolls_everything_back(pair, people, monkeypatch):
    primary, earlier = pair
    link_and_move = merging._link_and_move

    def losing_one(lineage, merged, target):
        gained = link_and_move(lineage, merged, target)
        PoleEntity.objects.filter(incident=target, name="Scaling bar").delete()  # a row lost on the way
        return gained

    monkeypatch.setattr(merging, "_link_and_move", losing_one)
    with pytest.raises(PolicyError) as failed:
        merging.merge_incidents(primary=primary, others=[earlier], actor=people["top"], reason=REASON)
    assert failed.value.code == "merge.reconciliation_failed"
    assert "pole_entities: 3 before and 0 created, 2 after" in failed.value.message
    assert Incident.objects.get(pk=earlier.pk).status == IncidentStatus.IN_PROGRESS
    assert PoleEntity.objects.filter(incident=earlier).count() == 2
    assert not Lineage.objects.exists()
    assert AuditEvent.objects.filter(changes__code="merge.reconciliation_failed").count() == 1


def test_unmerge_restores_the_incident_from_its_lineage(pair, people):
    primary, earlier = pair
    deadlines = (primary.ack_due_at, primary.contain_due_at, primary.resolve_due_at)
    merging.merge_incidents(primary=primary, others=[earlier], actor=people["top"], reason=REASON)
    restored = merging.unmerge_incident(
        merged=Incident.objects.get(pk=earlier.pk), actor=people["top"], reason="Two separate falls after all."
    )
    assert restored.status == IncidentStatus.IN_PROGRESS
    assert PoleEntity.objects.filter(incident=earlier).count() == 2
    assert PoleEntity.objects.filter(incident=primary).count() == 1
    primary = Incident.objects.get(pk=primary.pk)
    assert (primary.ack_due_at, primary.contain_due_at, primary.resolve_due_at) == deadlines
    assert Lineage.objects.get(source=earlier).reversed_by == people["top"]
    assert restored.next_clock_at == compute_next_clock(restored) is not None
    # It can be merged again afterwards: the reversed lineage stays on record.
    merging.merge_incidents(primary=primary, others=[restored], actor=people["top"], reason=REASON)
    assert Lineage.objects.filter(source=earlier).count() == 2
