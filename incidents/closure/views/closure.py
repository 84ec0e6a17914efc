"""Closure on the incident page: reopening a closed incident, and re-routing one from its
organogram-mismatch incident. Both answer HTMX with the panel they replace."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from arc.choices import DelegationStatus
from arc.models import Delegation
from incidents.choices import IncidentStatus, SystemReason
from incidents.closure.forms import ReopenForm
from incidents.closure.services import closure, mismatches
from incidents.core.policy import may_decide_closure, may_reopen, may_reroute
from incidents.core.routing import routing_check
from incidents.core.selectors import get_incident_for_user
from incidents.models import Incident
from iwms.refusals import INPUT_STATUS, attempt

PANEL_TEMPLATE = "incidents/partials/closure_panel.html"


def panel_context(request: HttpRequest, incident: Incident, reopen_form: ReopenForm | None = None) -> dict[str, Any]:
    """What the incident page offers about closure: deciding (pending closure), reopening
    (closed), and, on an organogram-mismatch incident, the routing check and re-route."""
    context: dict[str, Any] = {"incident": incident, "decide": None, "reopen": None, "original": None}
    if incident.status == IncidentStatus.PENDING_CLOSURE:
        context["decide"] = may_decide_closure(request.user, incident)
    elif incident.status == IncidentStatus.CLOSED:
        context["reopen"] = may_reopen(request.user, incident)
        context["reopen_form"] = reopen_form or ReopenForm()
    if incident.system_reason == SystemReason.ORGANOGRAM_MISMATCH and incident.parent_id is not None:
        original = incident.parent
        context["original"] = original
        context["reroute"] = may_reroute(request.user, original)
        context["check"] = routing_check(original) if original.status != IncidentStatus.CLOSED else None
    return context


@login_required
@require_POST
def incident_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    may_reopen(request.user, incident).enforce(incident, state=incident.status)
    form = ReopenForm(request.POST)
    if form.is_valid() and attempt(
        form, lambda: closure.reopen_incident(incident=incident, actor=request.user, reason=form.cleaned_data["reason"])
    ):
        messages.success(request, f"{incident.reference} reopened; its clocks start again now.")
        url = reverse("incident_detail", args=[incident.reference])
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    context = panel_context(request, incident, reopen_form=form)
    if request.htmx:
        return render(request, PANEL_TEMPLATE, context, status=INPUT_STATUS)
    return render(request, "incidents/closure/reopen.html", context, status=INPUT_STATUS)


@login_required
@require_POST
def incident_reroute(request: HttpRequest, reference: str) -> HttpResponse:
    """Posted on the organogram-mismatch incident; re-routes the incident it was raised for."""
    mismatch = get_incident_for_user(request.user, reference)
    if mismatch.system_reason != SystemReason.ORGANOGRAM_MISMATCH or mismatch.parent_id is None:
        raise Http404("Only an organogram-mismatch incident re-routes another one.")
    original = mismatches.reroute_incident(incident=mismatch.parent, actor=request.user)
    waiting = Delegation.objects.filter(
        subject_type=closure.SUBJECT, subject_id=str(original.pk), status=DelegationStatus.PROPOSED
    ).first()
    if waiting is not None:
        messages.success(
            request,
            f"{original.reference} re-routed: the hand-off to {waiting.to_person} takes effect when they accept; "
            "the routing check passed.",
        )
    else:
        messages.success(
            request, f"{original.reference} re-routed: {original.responsible} is responsible; the routing check passed."
        )
    return redirect("incident_detail", reference=mismatch.reference)
