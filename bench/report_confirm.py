"""Confirming a report: `submit_report` (lock the draft, duplicate check, ARC assignment,
reference number, incident + POLE entity with their history rows, audit event) per second,
against the same rows written with plain SQL in one transaction per report, in the same run.
(The workflow a confirmation generates joins this figure when the workflow engine lands.)"""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench.results import Result
from incidents.demo.builder import build_demo_tenant
from incidents.demo.reports import generate
from incidents.intake.services.intake import submit_report
from incidents.models import Category, Incident, ReportDraft
from iwms.audit import verify_chain
from iwms.models import Organisation, User
from organogram.models import Position
from workflows.models import WorkflowTemplate

JUSTIFICATION = "Benchmark: a separate event at another place"


def _drafts(reporter: User, count: int) -> list[ReportDraft]:
    occurred = (timezone.now() - timedelta(minutes=20)).isoformat()
    drafts = []
    for n, (text, code) in enumerate(generate(n_per_category=count // 29 + 1, seed=5)[:count]):
        drafts.append(
            ReportDraft(
                organisation_id=reporter.organisation_id,
                reporter=reporter,
                data={
                    "kind": "incident",
                    "title": text[:120],
                    "category": code,
                    "location": f"Bench site {n}",
                    "severity": "sev3",
                    "risk_level": "medium",
                    "time_sensitivity": "prompt",
                    "occurred_at": occurred,
                    "narrative": text,
                    "pole": [{"type": "person", "name": f"Witness {n}", "role": "witness"}],
                },
            )
        )
    return ReportDraft.objects.bulk_create(drafts)


def _plain_sql(
    tenant_id: int,
    reporter_id: int,
    owner_id: int,
    position_id: int,
    responsible_id: int,
    category_id: int,
    n: int,
    ledger_tenant_id: int,
    draft_id: int,
    workflow: WorkflowTemplate,
) -> None:
    """The same rows `submit_report` writes: reference counter, incident and its history row,
    POLE entity and its history row, the workflow (run, steps, history rows), three audit
    events (incident, workflow, the justification given despite similar open incidents),
    draft. The audit rows go to a separate tenant so the demo tenant's chain stays
    verifiable; they are plain inserts, without the chain head the service also moves."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_referencecounter SET last_number = last_number + 1, updated_at = %s "
            "WHERE organisation_id = %s",
            [now, tenant_id],
        )
        cursor.execute(
            "INSERT INTO incidents_incident (organisation_id, reference, kind, source, system_reason, "
            "source_reference, owner_id, owner_position_id, initial_responsible_id, responsible_id, reporter_id, "
            "title, narrative, category_id, location, risk_level, severity, time_sensitivity, occurred_at, "
            "reported_at, status, reopened_count, escalation_level, ack_due_at, contain_due_at, resolve_due_at, "
            "created_at, updated_at) "
            "VALUES (%s, %s, 'incident', 'manual', '', '', %s, %s, %s, %s, %s, %s, %s, %s, %s, 'medium', 'sev3', "
            "'prompt', %s, %s, 'open', 0, 0, %s, %s, %s, %s, %s) RETURNING id",
            [
                tenant_id,
                f"SQL-{n:08d}",
                owner_id,
                position_id,
                responsible_id,
                responsible_id,
                reporter_id,
                "Bench report",
                "Bench narrative of a reported event",
                category_id,
                f"Bench site {n}",
                now,
                now,
                now,
                now,
                now,
                now,
                now,
            ],
        )
        incident_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO incidents_historicalincident (id, organisation_id, reference, kind, source, system_reason, "
            "source_reference, owner_id, owner_position_id, initial_responsible_id, responsible_id, reporter_id, "
            "title, narrative, category_id, location, risk_level, severity, time_sensitivity, occurred_at, "
            "reported_at, status, reopened_count, escalation_level, created_at, updated_at, history_date, "
            "history_type, history_change_reason, history_user_id) "
            "VALUES (%s, %s, %s, 'incident', 'manual', '', '', %s, %s, %s, "
            "%s, %s, 'Bench report', 'Bench narrative', %s, 'x', 'medium', 'sev3', 'prompt', %s, %s, 'open', 0, 0, "
            "%s, %s, %s, '+', NULL, NULL)",
            [
                incident_id,
                tenant_id,
                f"SQL-{n:08d}",
                owner_id,
                position_id,
                responsible_id,
                responsible_id,
                reporter_id,
                category_id,
                now,
                now,
                now,
                now,
                now,
            ],
        )
        cursor.execute(
            "INSERT INTO incidents_poleentity (organisation_id, incident_id, type, name, role, created_at, "
            "updated_at) VALUES (%s, %s, 'person', %s, 'witness', %s, %s) RETURNING id",
            [tenant_id, incident_id, f"Witness {n}", now, now],
        )
        pole_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO incidents_historicalpoleentity (id, organisation_id, incident_id, type, name, role, "
            "created_at, updated_at, history_date, history_type, history_change_reason, history_user_id) "
            "VALUES (%s, %s, %s, 'person', %s, 'witness', %s, %s, %s, '+', NULL, NULL)",
            [pole_id, tenant_id, incident_id, f"Witness {n}", now, now, now],
        )
        cursor.execute(
            "INSERT INTO iwms_auditevent (organisation_id, seq, actor_kind, actor_id, actor_label, action, "
            "object_type, object_id, message, changes, request_id, created_at, prev_hash, hash) VALUES "
            "(%s, %s, 'system', NULL, 'system:bench', 'create', 'incidents.incident', %s, '', %s, '', %s, %s, %s)",
            [
                ledger_tenant_id,
                3 * n + 1,
                str(incident_id),
                json.dumps({"reference": f"SQL-{n}"}),
                now,
                "0" * 64,
                uuid.uuid4().hex * 2,
            ],
        )
        _plain_sql_workflow(
            cursor, tenant_id, incident_id, responsible_id, workflow, (ledger_tenant_id, 3 * n + 2), now
        )
        # The reporter's justification for reporting despite similar open incidents (as the service audits it).
        cursor.execute(
            "INSERT INTO iwms_auditevent (organisation_id, seq, actor_kind, actor_id, actor_label, action, "
            "object_type, object_id, message, changes, request_id, created_at, prev_hash, hash) VALUES "
            "(%s, %s, 'user', %s, 'reporter', 'identify', 'incidents.incident', %s, %s, %s, '', %s, %s, %s)",
            [
                ledger_tenant_id,
                3 * n + 3,
                reporter_id,
                str(incident_id),
                f"Reported as a different event despite similar open incidents: {JUSTIFICATION}",
                json.dumps({"similar": ["INC-2026-000001"]}),
                now,
                "0" * 64,
                uuid.uuid4().hex * 2,
            ],
        )
        cursor.execute(
            "UPDATE incidents_reportdraft SET incident_id = %s, updated_at = %s WHERE id = %s",
            [incident_id, now, draft_id],
        )


STEP_COLUMNS = (
    "organisation_id, run_id, template_step_id, position, key, name, instructions, mandatory, required_evidence, "
    "due_at, assignee_id, status, justification, completed_at, completed_by_id, created_at, updated_at"
)


def _plain_sql_workflow(
    cursor: Any, tenant_id: int, incident_id: int, responsible_id: int, workflow: Any, ledger: tuple[int, int], now: Any
) -> None:
    """The workflow rows `start_workflow` writes: the run and its history row, one step per
    template step with their history rows (one multi-row insert each), and the run's audit event."""
    cursor.execute(
        "INSERT INTO workflows_workflowrun (organisation_id, kind, template_id, subject_type, subject_id, title, "
        "request, responsible_id, started_at, due_at, status, resolution, created_at, updated_at) VALUES "
        "(%s, 'main', %s, 'incidents.incident', %s, 'Bench workflow', '', %s, %s, %s, 'open', '', %s, %s) "
        "RETURNING id",
        [tenant_id, workflow.pk, str(incident_id), responsible_id, now, now, now, now],
    )
    run_id = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO workflows_historicalworkflowrun (id, organisation_id, kind, template_id, subject_type, "
        "subject_id, title, request, responsible_id, started_at, due_at, status, resolution, created_at, updated_at, "
        "history_date, history_type) VALUES (%s, %s, 'main', %s, 'incidents.incident', %s, 'Bench workflow', '', "
        "%s, %s, %s, 'open', '', %s, %s, %s, '+')",
        [run_id, tenant_id, workflow.pk, str(incident_id), responsible_id, now, now, now, now, now],
    )
    rows = [
        (
            tenant_id,
            run_id,
            step.pk,
            step.position,
            step.key,
            step.name,
            step.instructions,
            step.mandatory,
            json.dumps(step.required_evidence),
            now + step.due_offset,
            None,
            "pending",
            "",
            None,
            None,
            now,
            now,
        )
        for step in workflow.bench_steps
    ]
    # One multi-row statement per table, as the service writes them (bulk_create_with_history).
    values = ", ".join([f"({', '.join(['%s'] * 17)})"] * len(rows))
    cursor.execute(
        f"INSERT INTO workflows_step ({STEP_COLUMNS}) VALUES {values} RETURNING id", [v for row in rows for v in row]
    )
    ids = [row[0] for row in cursor.fetchall()]
    history = ", ".join([f"({', '.join(['%s'] * 20)})"] * len(rows))
    cursor.execute(
        f"INSERT INTO workflows_historicalstep (id, {STEP_COLUMNS}, history_date, history_type) VALUES {history}",
        [v for pk, row in zip(ids, rows, strict=True) for v in (pk, *row, now, "+")],
    )
    cursor.execute(
        "INSERT INTO iwms_auditevent (organisation_id, seq, actor_kind, actor_id, actor_label, action, "
        "object_type, object_id, message, changes, request_id, created_at, prev_hash, hash) VALUES "
        "(%s, %s, 'system', NULL, 'system:bench', 'create', 'workflows.workflowrun', %s, '', '{}', '', %s, %s, %s)",
        [*ledger, str(run_id), now, "0" * 64, uuid.uuid4().hex * 2],
    )


def run(*, quick: bool = False) -> list[Result]:
    count = 60 if quick else 300
    tenant = build_demo_tenant(password=settings.IWMS_DEMO_PASSWORD)
    reporter = User.objects.get(username="reporter")
    drafts = _drafts(reporter, count)

    started = time.perf_counter()
    for draft in drafts:
        submit_report(draft=draft, actor=reporter, duplicate_justification=JUSTIFICATION)
    service_rate = count / (time.perf_counter() - started)

    owner, responsible = User.objects.get(username="depthead"), User.objects.get(username="responsible")
    position = Position.objects.get(organisation=tenant, code="mining-manager")
    category = Category.objects.get(organisation=tenant, code="SAF.GEO.FOG")
    ledger_tenant = Organisation.objects.create(slug="bench-sql-ledger", name="Plain SQL ledger rows")
    spare_drafts = _drafts(reporter, count)
    workflow = WorkflowTemplate.objects.get(organisation=tenant, code="general_incident", is_current=True)
    workflow.bench_steps = list(workflow.steps.order_by("position"))
    started = time.perf_counter()
    for n, draft in enumerate(spare_drafts):
        _plain_sql(
            tenant.pk,
            reporter.pk,
            owner.pk,
            position.pk,
            responsible.pk,
            category.pk,
            n,
            ledger_tenant.pk,
            draft.pk,
            workflow,
        )
    sql_rate = count / (time.perf_counter() - started)

    created = Incident.objects.filter(organisation=tenant).exclude(reference__startswith="SQL-").count()
    assert created == count, f"expected {count} incidents, found {created}"
    report = verify_chain(tenant)
    assert report.ok, f"chain broken: {report.broken}"
    print(f"report confirmations: {created} incidents created; tenant chain verified ({report.events} events)")
    return [
        Result(
            "report confirmation (incident+workflow+POLE+audit+history)",
            "/s",
            service_rate,
            sql_rate,
            target_ratio=0.25 if connection.vendor == "postgresql" else None,
            note=f"({connection.vendor})",
        )
    ]
