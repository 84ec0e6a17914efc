"""The rollups kept up to date: folded incrementally from the ledger (a batch at a time, by
the beat task) they hold exactly what a rebuild from the incidents holds; the watermark moves
past each batch; the rebuild command recreates them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from incidents.assurance.facts import ALL_CATEGORIES
from incidents.assurance.models import MEASURE_FIELDS, KpiFact, KpiRollup, RollupWatermark
from incidents.assurance.rollups import fold_ledger, fold_ledger_batch, rebuild, refresh_incidents
from incidents.assurance.tasks import refresh_kpi_rollups
from incidents.choices import Severity
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.demo.builder import build_second_tenant
from incidents.models import Incident
from iwms.models import AuditEvent
from organogram.models import OrgUnit
from tests.assurance.conftest import DAY, MINUTE, at_noon, set_moments


def snapshot(tenant_id: int) -> dict:
    return {
        (r.day, r.unit_id, r.category_id, r.severity, r.kind): tuple(round(getattr(r, f), 6) for f in MEASURE_FIELDS)
        for r in KpiRollup.objects.filter(organisation_id=tenant_id)
    }


def test_folding_the_ledger_gives_what_a_rebuild_gives(mine, hand_built, report):
    fold_ledger(tenant_id=mine.pk)
    # Real changes through the services: a new incident, and C acknowledged.
    report(at_noon(DAY), 15 * MINUTE)
    c = hand_built["c"]
    incident_workflows.start_incident_workflow(incident=c)
    lifecycle.acknowledge_incident(incident=c, actor=c.responsible)
    folded = fold_ledger(tenant_id=mine.pk)
    assert folded > 0
    incremental = snapshot(mine.pk)
    rebuild(tenant_id=mine.pk)
    assert incremental == snapshot(mine.pk)
    # C's acknowledgement counts: four acknowledged on DAY now.
    assert sum(r.ack_n for r in KpiRollup.objects.filter(organisation=mine, day=DAY, category_id=ALL_CATEGORIES)) == 4


def test_a_batch_moves_the_watermark_past_its_events_only(mine, hand_built):
    last = AuditEvent.objects.filter(organisation=mine).order_by("-seq").values_list("seq", flat=True).first()
    first = fold_ledger_batch(tenant_id=mine.pk, batch=3)
    assert first.events == 3 and first.last_seq == RollupWatermark.objects.get(organisation=mine).last_seq
    fold_ledger(tenant_id=mine.pk, batch=3)
    assert RollupWatermark.objects.get(organisation=mine).last_seq == last
    assert fold_ledger_batch(tenant_id=mine.pk).events == 0


def test_a_changed_dimension_moves_the_incident_between_rollup_rows(mine, hand_built):
    rebuild(tenant_id=mine.pk)
    c = hand_built["c"]
    set_moments(c, severity=Severity.SEV1)
    refresh_incidents(tenant_id=mine.pk, incident_ids=[c.pk])
    rows = {
        r.severity: r.items for r in KpiRollup.objects.filter(organisation=mine, day=DAY, category_id=ALL_CATEGORIES)
    }
    assert rows == {Severity.SEV1: 1, Severity.SEV2: 2, Severity.SEV3: 1}
    assert KpiFact.objects.get(incident_id=c.pk).severity == Severity.SEV1


def test_the_beat_task_folds_every_tenant_and_keeps_them_apart(mine, hand_built, report):
    other = build_second_tenant(password="pw-demo-12345")
    result = refresh_kpi_rollups()
    assert result[str(mine.pk)] > 0 and str(other.pk) in result
    for tenant in (mine, other):
        incidents = Incident.objects.filter(organisation=tenant)
        assert KpiFact.objects.filter(organisation=tenant).count() == incidents.count()
        units = set(OrgUnit.objects.filter(organisation=tenant).values_list("pk", flat=True))
        assert set(KpiRollup.objects.filter(organisation=tenant).values_list("unit_id", flat=True)) <= units


def test_the_rebuild_command_reports_each_tenant(mine, hand_built):
    out = StringIO()
    call_command("rebuild_kpi_rollups", "--tenant", mine.slug, stdout=out)
    assert f"{mine.slug}: " in out.getvalue()
    assert KpiRollup.objects.filter(organisation=mine, day=DAY).exists()
    with pytest.raises(Exception, match="No tenant"):
        call_command("rebuild_kpi_rollups", "--tenant", "no-such-tenant")
