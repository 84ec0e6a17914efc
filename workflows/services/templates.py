"""Loading the shipped workflow templates into a tenant, as new versions when they change."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation
from organogram.models import Position
from workflows.choices import EvidenceKind, ResponsibleRole
from workflows.models import TemplateStep, WorkflowTemplate

LIBRARY = Path(__file__).resolve().parent.parent / "template_library"
FALLBACK_CODE = "general_incident"


def library_codes() -> list[str]:
    return sorted(path.stem for path in LIBRARY.glob("*.json"))


def read_library_template(code: str) -> dict[str, Any]:
    path = LIBRARY / f"{code}.json"
    if not path.is_file():
        raise ValueError(f"No shipped workflow template {code!r}; known: {', '.join(library_codes())}")
    spec = json.loads(path.read_text(encoding="utf-8"))
    kinds = set(EvidenceKind.values)
    keys = [step["key"] for step in spec["steps"]]
    if len(set(keys)) != len(keys) or not keys:
        raise ValueError(f"{code}: step keys must be unique and there must be at least one step")
    for step in spec["steps"]:
        unknown = set(step.get("required_evidence", [])) - kinds
        if unknown:
            raise ValueError(f"{code}.{step['key']}: unknown evidence kinds {sorted(unknown)}")
    return spec


def content_digest(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def current_template(*, tenant: Organisation | int, code: str) -> WorkflowTemplate | None:
    return WorkflowTemplate.objects.for_tenant(tenant).filter(code=code, is_current=True).first()


def template_for_category_code(*, tenant: Organisation | int, template_code: str) -> WorkflowTemplate:
    """The category's own template, else the tenant's general template; refused when neither exists."""
    for code in filter(None, (template_code, FALLBACK_CODE)):
        template = current_template(tenant=tenant, code=code)
        if template is not None:
            return template
    tenant_obj = tenant if isinstance(tenant, Organisation) else Organisation.objects.get(pk=tenant)
    raise PolicyError(
        "workflow.template_missing",
        f"No workflow template {template_code or FALLBACK_CODE!r} is loaded for {tenant_obj}; "
        "a tenant admin loads them with `manage.py load_workflow_templates`.",
        tenant=tenant_obj,
        template=template_code,
    )


def template_steps_for_category_code(
    *, tenant: Organisation | int, template_code: str
) -> tuple[WorkflowTemplate, list[TemplateStep]]:
    """The template `template_for_category_code` picks, with its steps in order, in one query
    (steps joined to their current template) instead of two."""
    rows = list(
        TemplateStep.objects.for_tenant(tenant)
        .filter(template__code__in={template_code, FALLBACK_CODE}, template__is_current=True)
        .select_related("template")
        .order_by("position")
    )
    first = template_code or FALLBACK_CODE
    steps = [step for step in rows if step.template.code == first]
    if not steps:  # no own template, or one without steps: let the one-by-one lookup decide
        template = template_for_category_code(tenant=tenant, template_code=template_code)
        return template, list(template.steps.all())
    template = steps[0].template
    for step in steps:
        step.template = template
    return template, steps


def install_template(*, tenant: Organisation, spec: dict[str, Any], actor: Any = None) -> tuple[WorkflowTemplate, bool]:
    """Install `spec` as the current version of its code; returns (template, created). The
    same content is not installed twice; different content becomes the next version and the
    old version stays for the runs that use it."""
    digest = content_digest(spec)
    with transaction.atomic():
        versions = WorkflowTemplate.objects.for_tenant(tenant).select_for_update().filter(code=spec["code"])
        current = next((t for t in versions if t.is_current), None)
        if current is not None and current.content_digest == digest:
            return current, False
        latest = max((t.version for t in versions), default=0)
        if current is not None:
            WorkflowTemplate.objects.filter(pk=current.pk).update(is_current=False)
        template = WorkflowTemplate(
            organisation=tenant,
            code=spec["code"],
            name=spec["name"],
            description=spec.get("description", ""),
            version=latest + 1,
            content_digest=digest,
        )
        template.save()
        positions = {
            p.code: p
            for p in Position.objects.for_tenant(tenant).filter(
                code__in=[s["position_code"] for s in spec["steps"] if s.get("position_code")], is_active=True
            )
        }
        unresolved = []
        for index, step in enumerate(spec["steps"], start=1):
            position = positions.get(step.get("position_code", ""))
            by_position = step.get("responsible_role") == ResponsibleRole.POSITION and position is not None
            if step.get("responsible_role") == ResponsibleRole.POSITION and position is None:
                unresolved.append(step.get("position_code", ""))
            TemplateStep(
                organisation=tenant,
                template=template,
                position=index,
                key=step["key"],
                name=step["name"],
                instructions=step.get("instructions", ""),
                mandatory=bool(step.get("mandatory", True)),
                substantive_justification=bool(step.get("substantive_justification", False)),
                required_evidence=list(step.get("required_evidence", [])),
                due_offset=timedelta(hours=float(step.get("due_offset_hours", 24))),
                responsible_role=ResponsibleRole.POSITION if by_position else ResponsibleRole.RESPONSIBLE,
                responsible_position=position if by_position else None,
            ).save()
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor or "workflow template loader",
            obj=template,
            message=f"Workflow template {template.code} version {template.version} installed.",
            changes={
                "code": template.code,
                "version": template.version,
                "digest": digest,
                "steps": len(spec["steps"]),
                "positions_not_in_organogram": unresolved,
            },
        )
    return template, True


def load_template_library(
    *, tenant: Organisation, codes: list[str] | None = None, actor: Any = None
) -> list[tuple[WorkflowTemplate, bool]]:
    return [
        install_template(tenant=tenant, spec=read_library_template(code), actor=actor)
        for code in (codes or library_codes())
    ]
