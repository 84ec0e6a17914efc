"""The organogram pages: the units, a unit's positions with their holders, and the changes a
department head (own unit and below) or a tenant admin makes there. Every change goes through
`governance.services.structure`; a refusal is shown next to the form that caused it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from arc.choices import Role
from arc.roles import roles_of
from incidents.governance import selectors
from incidents.governance.forms import (
    AddPositionForm,
    AppointForm,
    EndAppointmentForm,
    MoveForm,
    PageChoices,
    RetireForm,
)
from incidents.governance.policy import headed_unit_ids, may_change_unit, may_read_organogram, may_view_organogram
from incidents.governance.services import structure
from iwms.errors import PolicyError
from iwms.refusals import place_on_form
from organogram.choices import AssignmentKind
from organogram.models import OrgUnit, Position, PositionAssignment

POSITION_FORMS = {"move": MoveForm, "retire": RetireForm, "appoint": AppointForm, "end": EndAppointmentForm}


def _ids(position: Position) -> str:
    """Each position's forms get their own element ids, so every label names its own field."""
    return f"id_{position.code}-%s"


def _member(request: HttpRequest) -> None:
    decision = may_read_organogram(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)


@login_required
@require_GET
def organogram(request: HttpRequest) -> HttpResponse:
    """The tenant's units as a tree; the units the user may change are marked."""
    _member(request)
    user = request.user
    units = list(OrgUnit.objects.for_tenant(user.organisation_id).with_tree_fields().order_by("tree_ordering"))
    is_admin = Role.TENANT_ADMIN in roles_of(user)
    headed = headed_unit_ids(user)
    changeable: set[int] = set()
    for unit in units:  # tree order: a parent comes before its children
        if is_admin or unit.pk in headed or unit.parent_id in changeable:
            changeable.add(unit.pk)
    context = {
        "units": units,
        "changeable": changeable,
        "is_admin": is_admin,
        "findings": len(selectors.open_findings(user.organisation_id)),
    }
    return render(request, "governance/organogram.html", context)


def unit_page(
    request: HttpRequest,
    unit: OrgUnit,
    *,
    failed: tuple[str, str, Any] | None = None,
    add_form: AddPositionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The unit's page; `failed` = (position code, form name, bound form) re-shows a refused change."""
    decision = may_view_organogram(request.user, unit)
    if not decision:
        raise PermissionDenied(decision.reason)
    may_change = may_change_unit(request.user, unit)
    choices = PageChoices(unit) if may_change else None
    rows = selectors.position_rows([unit])
    for row in rows:
        row.forms = {}
        if may_change:
            for name, form_class in POSITION_FORMS.items():
                if failed and failed[0] == row.position.code and failed[1] == name:
                    row.forms[name] = failed[2]
                else:
                    row.forms[name] = form_class(unit=unit, choices=choices, auto_id=_ids(row.position))
        row.open_form = failed[1] if failed and failed[0] == row.position.code else ""
    pending, verified = selectors.verifications_of(unit)
    context = {
        "unit": unit,
        "children": list(unit.children.order_by("name")),
        "rows": rows,
        "may_change": may_change,
        "add_form": add_form or (AddPositionForm(unit=unit, choices=choices) if may_change else None),
        "history": selectors.unit_history(unit),
        "pending_verification": pending,
        "verified": verified,
        "findings": selectors.open_findings(unit.organisation_id, unit),
    }
    return render(request, "governance/unit_detail.html", context, status=status)


@login_required
@require_GET
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    _member(request)
    return unit_page(request, selectors.get_unit_for_user(request.user, code))


def _attempt(form: Any, call: Callable[[], Any]) -> int:
    """Run the service; 0 when it succeeded, else the refusal's status with the refusal on the
    form (an access refusal is raised: it is the same 403 on every page)."""
    try:
        call()
    except PolicyError as exc:
        if exc.http_status == 403:
            raise
        place_on_form(form, exc)
        return exc.http_status
    return 0


@login_required
@require_POST
def position_add(request: HttpRequest, code: str) -> HttpResponse:
    _member(request)
    unit = selectors.get_unit_for_user(request.user, code)
    form = AddPositionForm(request.POST, unit=unit)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        status = _attempt(
            form,
            lambda: structure.add_position(
                unit=unit,
                code=data["code"],
                title=data["title"],
                reports_to=data["reports_to"],
                is_unit_head=data["is_unit_head"],
                shift=data["shift"],
                actor=request.user,
                reason=data["reason"],
            ),
        )
        if not status:
            messages.success(request, f"Position {data['title']} added.")
            return redirect("governance:unit", code=unit.code)
    elif not may_change_unit(request.user, unit):
        raise PermissionDenied(may_change_unit(request.user, unit).reason)
    return unit_page(request, unit, add_form=form, status=status)


def _position_change(request: HttpRequest, code: str, name: str, run: Callable[[Position, dict], Any]) -> HttpResponse:
    _member(request)
    position = selectors.get_position_for_user(request.user, code)
    unit = position.unit
    decision = may_change_unit(request.user, unit)
    if not decision:
        raise PermissionDenied(decision.reason)
    form = POSITION_FORMS[name](request.POST, unit=unit, auto_id=_ids(position))
    status = 422
    if form.is_valid():
        status = _attempt(form, lambda: run(position, form.cleaned_data))
        if not status:
            messages.success(request, f"{position}: change recorded.")
            return redirect(reverse("governance:unit", args=[unit.code]) + f"#position-{position.code}")
    return unit_page(request, unit, failed=(position.code, name, form), status=status)


@login_required
@require_POST
def position_move(request: HttpRequest, code: str) -> HttpResponse:
    return _position_change(
        request,
        code,
        "move",
        lambda position, data: structure.change_reporting_line(
            position=position, reports_to=data["reports_to"], actor=request.user, reason=data["reason"]
        ),
    )


@login_required
@require_POST
def position_retire(request: HttpRequest, code: str) -> HttpResponse:
    return _position_change(
        request,
        code,
        "retire",
        lambda position, data: structure.retire_position(position=position, actor=request.user, reason=data["reason"]),
    )


@login_required
@require_POST
def position_appoint(request: HttpRequest, code: str) -> HttpResponse:
    return _position_change(
        request,
        code,
        "appoint",
        lambda position, data: structure.appoint(
            position=position,
            person=data["person"],
            kind=AssignmentKind(data["kind"]),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            actor=request.user,
            reason=data["reason"],
        ),
    )


def _end(position: Position, data: dict, kind: str, actor: Any) -> Any:
    assignment = PositionAssignment.objects.filter(position=position, kind=kind, ends_at__isnull=True).first()
    if assignment is None:
        raise PolicyError.on("organogram.assignment_closed", f"Nobody holds {position} as {kind}.", position)
    return structure.end_appointment(assignment=assignment, ends_at=data["ends_at"], actor=actor, reason=data["reason"])


@login_required
@require_POST
def position_end(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    if kind not in AssignmentKind.values:
        raise PermissionDenied("Unknown kind of appointment.")
    return _position_change(request, code, "end", lambda position, data: _end(position, data, kind, request.user))
