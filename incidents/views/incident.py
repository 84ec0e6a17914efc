"""An incident's detail page, its live panel (polled by HTMX), the severity change and the
acknowledge action."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from incidents.controls.views import merged_redirect
from incidents.core import lifecycle
from incidents.core.policy import may_acknowledge, may_change_severity, may_mark_contained, may_request_grant
from incidents.core.selectors import (
    get_incident_for_user,
    incidents_for_user,
    live_state,
    next_actions,
    reports_linked_by,
)
from incidents.models import Incident
from incidents.sla.forms import ContainmentForm, SeverityForm
from incidents.sla.services import clock_changes as clocks
from iwms.refusals import INPUT_STATUS, attempt
from iwms.replica import reads_from_replica
from workflows.selectors import handoffs_for_user, requests_for_user

PAGE_SIZE = 25
REQUESTS_SHOWN = 20


LIVE_POLL_SECONDS = 10


def _detail_context(request: HttpRequest, incident: Incident, severity_form: SeverityForm | None = None) -> dict:
    return {
        **live_state(incident),
        "pole": incident.pole_entities.all(),
        "acknowledge": may_acknowledge(request.user, incident),
        "next_actions": next_actions(incident),
        "my_linked_report": reports_linked_by(request.user, [incident.pk]).get(incident.pk),
        # Asked of the owner only: nobody else requests audit access to the incident.
        "grant_request": may_request_grant(request.user, incident) if incident.owner_id == request.user.pk else None,
        **_severity_context(request, incident, severity_form),
        **_containment_context(request, incident),
    }


def _containment_context(
    request: HttpRequest, incident: Incident, form: ContainmentForm | None = None, marked: bool = False
) -> dict:
    return {
        "incident": incident,
        "containment_allowed": may_mark_contained(request.user, incident),
        "containment_form": form or ContainmentForm(),
        "containment_marked": marked,
    }


def _severity_context(
    request: HttpRequest, incident: Incident, form: SeverityForm | None = None, changed: bool = False
) -> dict:
    return {
        "incident": incident,
        "severity_allowed": may_change_severity(request.user, incident),
        "severity_form": form or SeverityForm(initial={"severity": incident.severity}, tenant=incident.organisation),
        "severity_changed": changed,
        "poll_seconds": LIVE_POLL_SECONDS,
    }


@login_required
@require_GET
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    merged = merged_redirect(request, incident)  # a merged incident's page leads to its primary
    return merged or render(request, "incidents/incident_detail.html", _detail_context(request, incident))


@require_GET
def incident_live(request: HttpRequest, reference: str) -> HttpResponse:
    """The incident page's live panel (status, deadlines, escalation) and, out of band, its
    timeline: what HTMX polls every few seconds while the incident is not closed. A poll from
    a page whose session has ended gets nothing to swap."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204) if request.htmx else redirect_to_login(request.get_full_path())
    incident = get_incident_for_user(request.user, reference)
    response = _live_response(request, incident)
    response["Cache-Control"] = "no-store"
    return response


def _live_response(request: HttpRequest, incident: Incident, before: str = "") -> HttpResponse:
    """The live panel and, out of band, the timeline; after `before` (the fragment an action
    swaps into its own place) the live panel goes out of band too."""
    context = {**live_state(incident), "poll_seconds": LIVE_POLL_SECONDS}
    return HttpResponse(
        before
        + render_to_string("incidents/partials/incident_live.html", {**context, "oob": bool(before)}, request=request)
        + render_to_string("incidents/partials/timeline.html", {**context, "oob": True}, request=request)
    )


@login_required
@require_POST
def incident_severity(request: HttpRequest, reference: str) -> HttpResponse:
    """Change the severity with a reason: the open deadlines are recomputed. For HTMX, the
    form again (with what changed) and, out of band, the live panel and the timeline."""
    incident = get_incident_for_user(request.user, reference)
    may_change_severity(request.user, incident).enforce(incident, state=incident.status)
    form = SeverityForm(request.POST, tenant=incident.organisation)
    changed = form.is_valid() and attempt(
        form,
        lambda: clocks.change_severity(
            incident=incident,
            actor=request.user,
            severity=form.cleaned_data["severity"],
            reason=form.cleaned_data["reason"],
        ),
    )
    if changed:
        incident = get_incident_for_user(request.user, reference)
        if not request.htmx:
            messages.success(
                request,
                f"Severity changed to {incident.get_severity_display()}; the open deadlines were recomputed.",
            )
            return redirect("incident_detail", reference=reference)
        form = SeverityForm(initial={"severity": incident.severity}, tenant=incident.organisation)
    status = 200 if changed else INPUT_STATUS
    if not request.htmx:
        return render(
            request, "incidents/incident_detail.html", _detail_context(request, incident, form), status=status
        )
    panel = render_to_string(
        "incidents/partials/severity_form.html", _severity_context(request, incident, form, changed), request=request
    )
    if not changed:
        return HttpResponse(panel, status=status)
    return _live_response(request, incident, before=panel)


@login_required
@require_POST
def incident_contained(request: HttpRequest, reference: str) -> HttpResponse:
    """Mark the incident contained (the contain clock stops). For HTMX, the containment panel
    again and, out of band, the live panel and the timeline."""
    incident = get_incident_for_user(request.user, reference)
    may_mark_contained(request.user, incident).enforce(incident, state=incident.status)
    form = ContainmentForm(request.POST)
    marked = form.is_valid() and attempt(
        form, lambda: clocks.mark_contained(incident=incident, actor=request.user, note=form.cleaned_data["note"])
    )
    if marked:
        incident = get_incident_for_user(request.user, reference)
        if not request.htmx:
            messages.success(request, f"{incident.reference} is marked contained; the contain clock stopped.")
            return redirect("incident_detail", reference=reference)
    status = 200 if marked else INPUT_STATUS
    if not request.htmx:
        context = {**_detail_context(request, incident), **_containment_context(request, incident, form)}
        return render(request, "incidents/incident_detail.html", context, status=status)
    panel = render_to_string(
        "incidents/partials/containment_form.html",
        _containment_context(request, incident, None if marked else form, marked),
        request=request,
    )
    if not marked:
        return HttpResponse(panel, status=status)
    return _live_response(request, incident, before=panel)


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    lifecycle.acknowledge_incident(incident=incident, actor=request.user)
    return redirect("incident_detail", reference=reference)


@login_required
@require_GET
@reads_from_replica
def my_items(request: HttpRequest) -> HttpResponse:
    items = incidents_for_user(request.user).order_by("-reported_at")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    linked = reports_linked_by(request.user, [incident.pk for incident in page])
    for incident in page:
        incident.my_linked_report = linked.get(incident.pk)
    requests = requests_for_user(request.user)[:REQUESTS_SHOWN]
    handoffs = handoffs_for_user(request.user)
    subject_ids = {int(h["step"].run.subject_id) if h["step"] else int(h["delegation"].subject_id) for h in handoffs}
    incidents = Incident.objects.filter(organisation_id=request.user.organisation_id).in_bulk(subject_ids)
    for handoff in handoffs:
        subject = int(handoff["step"].run.subject_id) if handoff["step"] else int(handoff["delegation"].subject_id)
        handoff["incident"] = incidents.get(subject)
    return render(request, "incidents/incident_list.html", {"page": page, "requests": requests, "handoffs": handoffs})
