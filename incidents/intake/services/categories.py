"""Loading industry category templates into a tenant's category tree."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from incidents.models import Category
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import Organisation
from organogram.models import Position

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "category_templates"


def available_templates() -> dict[str, str]:
    """Template key → display name, from the shipped data files."""
    return {path.stem: json.loads(path.read_text())["name"] for path in sorted(TEMPLATE_DIR.glob("*.json"))}


def read_template(key: str) -> dict[str, Any]:
    path = TEMPLATE_DIR / f"{key}.json"
    if not path.is_file():
        raise PolicyError(
            "validation.invalid",
            f"There is no industry template {key!r}; choose one of: {', '.join(available_templates())}.",
            field="template",
        )
    return json.loads(path.read_text())


@dataclass(frozen=True)
class LoadReport:
    template: str
    created: int
    kept: int


def load_industry_template(
    *, tenant: Organisation, key: str, custodian: Position | None = None, actor: Any = None
) -> LoadReport:
    """Create the template's categories that the tenant does not have yet (by code); existing
    ones are kept as they are, since their names change only through governance."""
    template = read_template(key)
    existing = {c.code: c for c in Category.objects.for_tenant(tenant)}
    created = kept = 0

    def add(node: dict[str, Any], parent: Category | None, inherited: dict[str, str]) -> None:
        nonlocal created, kept
        defaults = {
            "default_severity": node.get("default_severity", inherited["default_severity"]),
            "default_risk": node.get("default_risk", inherited["default_risk"]),
        }
        category = existing.get(node["code"])
        if category is None:
            category = Category(
                organisation=tenant,
                parent=parent,
                code=node["code"],
                name=node["name"],
                description=node.get("description", ""),
                keywords=", ".join(node.get("keywords", [])),
                workflow_template_code=node.get("workflow_template", ""),
                custodian_position=custodian,
                industry_template=key,
                **defaults,
            )
            category.save()
            created += 1
        else:
            kept += 1
        for child in node.get("children", []):
            add(child, category, defaults)

    with transaction.atomic():
        for root in template["categories"]:
            add(root, None, {"default_severity": "sev3", "default_risk": "medium"})
        record_event(
            tenant=tenant,
            action=AuditAction.CREATE,
            actor=actor,
            object_type="incidents.category",
            message=f"Industry template {template['name']} loaded.",
            changes={"template": key, "created": created, "kept": kept},
        )
    return LoadReport(key, created, kept)
