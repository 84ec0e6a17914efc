"""Merge and split at size (issue 18): a primary and 20 incidents, each with its workflow, 50
evidence items and 200 ledger events (10 and 10 with --quick or on SQLite), merged into the
primary in one transaction; then half of them un-merged back out from the lineage and a split
of half the primary's POLE entities into a derived incident. Each operation is timed with its
SQL statements counted; its reconciliation (run inside it) is the baseline, and a census of
every incident before and after, plus each incident's ledger count, proves nothing was lost."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.results import Result
from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.controls.services import merge as merging
from incidents.controls.services.reconciliation import census
from incidents.controls.services.split import split_incident
from incidents.core.lifecycle import create_incidents, new_incident
from incidents.core.services.incident_workflows import start_incident_workflows
from incidents.demo.builder import build_demo_tenant
from incidents.models import Category, Incident, PoleEntity
from iwms.audit import Entry, record_events
from iwms.models import AuditEvent, User
from organogram.models import Position
from workflows.models import Evidence, Step


def _seed(count: int, evidence: int, events: int) -> tuple[User, Incident, list[Incident]]:
    tenant = build_demo_tenant(password=settings.IWMS_DEMO_PASSWORD)
    people = {u.username: u for u in User.objects.filter(organisation=tenant)}
    now = timezone.now()
    built = [
        new_incident(
            tenant=tenant,
            kind=IncidentKind.INCIDENT,
            source=Source.MANUAL,
            category=Category.objects.get(organisation=tenant, code="SAF.GEO.FOG"),
            title=f"Fall of ground report {n}",
            narrative="A slab fell from the hanging wall near the loading box.",
            location="Shaft 2, level 8",
            severity=Severity.SEV2,
            risk_level=RiskLevel.HIGH,
            time_sensitivity=TimeSensitivity.URGENT,
            occurred_at=now - timedelta(hours=2),
            owner=people["depthead"],
            owner_position=Position.objects.get(organisation=tenant, code="mining-manager"),
            responsible=people["responsible"],
            reporter=people["reporter"],
            now=now - timedelta(minutes=count - n),
        )
        for n in range(count + 1)
    ]
    incidents = create_incidents(tenant=tenant, incidents=built)
    start_incident_workflows(tenant=tenant, incidents=incidents)
    rows, poles = [], []
    for incident in incidents:
        step = Step.objects.filter(run__subject_id=str(incident.pk)).order_by("position").first()
        for n in range(evidence):
            text = f"{incident.reference} measurement {n}"
            rows.append(
                Evidence(
                    organisation=tenant,
                    step=step,
                    kind="measurement",
                    sha256=hashlib.sha256(text.encode()).hexdigest(),
                    text=text,
                    source="manual",
                    collector=people["responsible"],
                    collected_at=now - timedelta(minutes=30),
                    relevance="Convergence reading at the loading box",
                    submitted_by=people["responsible"],
                )
            )
        poles += [PoleEntity(organisation=tenant, incident=incident, type="object", name=f"Item {n}") for n in range(4)]
        record_events(
            tenant=tenant,
            entries=[Entry(action="update", obj=incident, message=f"note {n}") for n in range(events - 1)],
        )
    Evidence.objects.bulk_create(rows, batch_size=2000)
    PoleEntity.objects.bulk_create(poles)
    return people["top"], incidents[-1], incidents[:-1]


def _ledger(incidents: list[Incident]) -> dict[str, int]:
    return {
        str(i.pk): AuditEvent.objects.filter(object_type="incidents.incident", object_id=str(i.pk)).count()
        for i in incidents
    }


def _timed(call) -> tuple[float, int, object]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        outcome = call()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(captured), outcome


def run(*, quick: bool = False) -> list[Result]:
    full = not quick and connection.vendor == "postgresql"
    count, evidence, events = (20, 50, 200) if full else (10, 10, 20)
    actor, primary, others = _seed(count, evidence, events)
    everyone = [primary, *others]
    before, ledger_before = census(i.pk for i in everyone), _ledger(everyone)
    reason = "The same fall of ground reported by every crew on the level."

    merge_ms, merge_sql, outcome = _timed(
        lambda: merging.merge_incidents(primary=primary, others=others, actor=actor, reason=reason)
    )
    started = time.perf_counter()
    census(i.pk for i in everyone)
    census_ms = (time.perf_counter() - started) * 1000
    back = others[: count // 2]
    unmerge_ms, unmerge_sql, _ = _timed(
        lambda: [
            merging.unmerge_incident(merged=Incident.objects.get(pk=i.pk), actor=actor, reason="Separate events.")
            for i in back
        ]
    )
    poles = list(PoleEntity.objects.filter(incident=primary).values_list("pk", flat=True))
    split_ms, split_sql, derived = _timed(
        lambda: split_incident(
            incident=Incident.objects.get(pk=primary.pk),
            actor=actor,
            title="Half of the items, split out",
            reason="These items belong to a separate equipment failure.",
            pole_ids=poles[: len(poles) // 2],
        )
    )
    after = census(i.pk for i in everyone)
    kinds = ("evidence", "steps", "workflows")
    kept = all(before.total(k) == after.total(k) for k in kinds)
    poles_kept = before.total("pole_entities") == after.total("pole_entities") + census([derived.pk]).total(
        "pole_entities"
    )
    # Each merge, un-merge and split adds its own events; none removes any.
    ledger_kept = all(n >= ledger_before[pk] for pk, n in _ledger(everyone).items())
    proof = "nothing lost" if kept and poles_kept and ledger_kept else "LOSS"
    size = f"{count} x {evidence} evidence, {events} events"
    print(f"merge/split: {size}; reconciliation: {proof}; {outcome.reconciliation['lineage_items']} lineage items")
    return [
        Result(f"merge {count} into a primary ({size})", "ms", merge_ms, census_ms, None, f"{merge_sql} SQL; {proof}"),
        Result(f"un-merge {len(back)} from the lineage", "ms", unmerge_ms, census_ms, None, f"{unmerge_sql} SQL"),
        Result("split half the primary's POLE entities", "ms", split_ms, census_ms, None, f"{split_sql} SQL"),
    ]
