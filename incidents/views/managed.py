"""The managers' incident list (`/incidents/managed/`) and its CSV export: the incidents a
manager sees (`incidents_visible_to`), filtered and searched through the query string, so a
filtered list can be bookmarked and exported exactly as shown. An HTMX request (the filters
changing) gets the results fragment."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidents.core.navigation import navigation_for
from incidents.managed_list import ManagedIncidentFilterForm, csv_lines, managed_incidents
from iwms.replica import reads_from_replica

PAGE_SIZE = 25
REFUSAL = "The incident list is for people who own incidents, supervise someone or administer the organisation."


def _form(request: HttpRequest) -> ManagedIncidentFilterForm:
    if not navigation_for(request).managed_incidents:
        raise PermissionDenied(REFUSAL)
    return ManagedIncidentFilterForm(request.GET, user=request.user)


@login_required
@require_GET
@reads_from_replica
def managed_incident_list(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    incidents = managed_incidents(request.user, form.filters())
    # get_page: a page number that is not a number gives the first page, one past the end the last.
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {"form": form, "page": page, "filters": filters.urlencode()}
    if request.htmx:
        return render(request, "incidents/managed/partials/managed_rows.html", context)
    context["selects"] = form.selects()
    return render(request, "incidents/managed/managed_incident_list.html", context)


@login_required
@require_GET
@reads_from_replica
def managed_incident_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every row the list shows with the same query string, on all its pages."""
    form = _form(request)
    incidents = managed_incidents(request.user, form.filters()).iterator(chunk_size=2000)
    response = StreamingHttpResponse(csv_lines(incidents), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="incidents-{stamp}.csv"'
    return response
