"""Organogram mismatches found by governance itself (an HR event naming an unknown person or
position, a structural finding): a system-generated organogram-mismatch incident for the head
of the department concerned, with the organogram-mismatch workflow."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentKind, RiskLevel, Severity, Source, SystemReason, TimeSensitivity
from incidents.core import lifecycle
from incidents.governance.services.verification import SUBJECT, governance_category
from incidents.models import Incident
from iwms.errors import PolicyError
from iwms.models import Organisation
from organogram.hierarchy import holder_of, top_of_hierarchy
from organogram.models import OrgUnit, Position
from workflows.services import runs as run_services
from workflows.services.templates import current_template, install_template, read_library_template

MISMATCH_TEMPLATE = "organogram_mismatch"


def _head_for(tenant: Organisation, unit: OrgUnit | None) -> tuple[Any, Position] | None:
    """The holder of the head position of `unit` or the nearest unit above it; else the top."""
    while unit is not None:
        head = Position.objects.filter(unit=unit, is_unit_head=True, is_active=True).first()
        holder = holder_of(head) if head else None
        if holder is not None:
            return holder, head
        unit = unit.parent
    top = top_of_hierarchy(tenant)
    return (top.holder, top.position) if top else None


def raise_mismatch(
    *, tenant: Organisation, unit: OrgUnit | None, title: str, narrative: str, actor: Any = "governance"
) -> Incident:
    """An organogram-mismatch incident for the head of `unit` (or the top of the hierarchy)."""
    head = _head_for(tenant, unit)
    if head is None:
        raise PolicyError("arc.no_accountability_rule", "Nobody heads the organisation to correct it.", tenant=tenant)
    holder, position = head
    with transaction.atomic():
        template = current_template(tenant=tenant, code=MISMATCH_TEMPLATE)
        if template is None:
            template, _ = install_template(tenant=tenant, spec=read_library_template(MISMATCH_TEMPLATE), actor=actor)
        incident = lifecycle.create_incident(
            tenant=tenant,
            kind=IncidentKind.OTHER_GOVERNED_EVENT,
            source=Source.SYSTEM,
            system_reason=SystemReason.ORGANOGRAM_MISMATCH,
            category=governance_category(tenant, actor),
            title=title[:200],
            narrative=narrative
            + "\n\nThis is a governance review of the organogram, so that incidents reach an active, correct "
            "person. It is not a finding against anyone.",
            location=(unit.name if unit else position.unit.name),
            unit=unit or position.unit,
            severity=Severity.SEV3,
            risk_level=RiskLevel.MEDIUM,
            time_sensitivity=TimeSensitivity.PROMPT,
            occurred_at=timezone.now(),
            owner=holder,
            owner_position=position,
            responsible=holder,
            reporter=None,
            actor=actor,
        )
        run_services.start_workflow(
            tenant=tenant,
            template=template,
            subject_type=SUBJECT,
            subject_id=str(incident.pk),
            title=f"{incident.reference}: {template.name}",
            responsible=holder,
            started_at=incident.reported_at,
            actor=actor,
        )
    return incident
