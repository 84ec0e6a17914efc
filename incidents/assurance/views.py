"""The assurance dashboards: the tenant's (`/assurance/`), a unit's (`/assurance/units/<id>/`,
the department head's own), the landing page listing those the person may open, and the CSV
export of every table. The filters live in the query string; an HTMX request (the filters
changing) gets the dashboard's body."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidents.assurance.filters import DashboardFilterForm
from incidents.assurance.maturity import weights_for
from incidents.assurance.policy import headed_units, may_view_tenant_dashboard, may_view_unit_dashboard
from incidents.assurance.roadmap import roadmap
from incidents.assurance.selectors import dashboard
from incidents.assurance.tables import TABLE_KEYS, csv_rows, tables_of
from iwms.errors import PolicyError
from iwms.models import User
from organogram.models import OrgUnit


def _unit_for(user: User, unit_id: int | None) -> OrgUnit | None:
    """The unit of a unit dashboard (404 outside the user's tenant), or None for the tenant's;
    refused (and audited) when the user may not read it."""
    if unit_id is None:
        decision = may_view_tenant_dashboard(user)
        if not decision:
            raise PolicyError(
                "access_denied",
                decision.reason,
                tenant=user.organisation,
                object_type="iwms.organisation",
                object_id=str(user.organisation_id or ""),
            )
        return None
    unit = get_object_or_404(OrgUnit.objects.for_tenant(user.organisation_id or 0), pk=unit_id)
    may_view_unit_dashboard(user, unit).enforce(unit)
    return unit


def _board(request: HttpRequest, unit_id: int | None) -> tuple[DashboardFilterForm, object, list]:
    unit = _unit_for(request.user, unit_id)
    params = request.GET.copy()
    params.setdefault("period", "month")
    form = DashboardFilterForm(params, tenant_id=request.user.organisation_id)
    board = dashboard(tenant_id=request.user.organisation_id, unit=unit, scope=form.scope())
    return form, board, tables_of(board)


@login_required
@require_GET
def assurance_home(request: HttpRequest) -> HttpResponse:
    """The dashboards this person may open: the tenant's, and those of the units they head."""
    units = [u for u in headed_units(request.user) if u.organisation_id == request.user.organisation_id]
    context = {"tenant": bool(may_view_tenant_dashboard(request.user)), "units": units}
    return render(request, "assurance/home.html", context)


@login_required
@require_GET
def dashboard_page(request: HttpRequest, unit_id: int | None = None) -> HttpResponse:
    form, board, tables = _board(request, unit_id)
    query = request.GET.urlencode()
    context = {"form": form, "board": board, "tables": tables, "query": query, "unit": board.unit}
    if request.htmx:
        return render(request, "assurance/partials/dashboard_body.html", context)
    return render(request, "assurance/dashboard.html", context)


@login_required
@require_GET
def dashboard_csv(request: HttpRequest, table: str, unit_id: int | None = None) -> HttpResponse:
    """One table of the dashboard, as shown with the same query string."""
    if table not in TABLE_KEYS:
        raise Http404("No such table.")
    _form, board, tables = _board(request, unit_id)
    chosen = next(t for t in tables if t.key == table)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_rows(chosen))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    scope = board.unit.code if board.unit else "tenant"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="assurance-{scope}-{table}-{stamp}.csv"'
    return response


@login_required
@require_GET
def maturity_roadmap(request: HttpRequest, unit_id: int | None = None) -> JsonResponse:
    """The maturity roadmap of the dashboard with the same query string, as JSON."""
    _form, board, _tables = _board(request, unit_id)
    return JsonResponse(roadmap(board, weights_for(request.user.organisation_id)))
