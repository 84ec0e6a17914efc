"""An incident's detail page and the acknowledge action."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Incident
from incidents.policy import may_acknowledge, may_request_grant
from incidents.selectors import get_incident_for_user, incidents_for_user, next_actions, timeline_for
from incidents.services import lifecycle
from incidents.services.intake import time_left
from iwms.errors import PolicyError
from workflows.selectors import handoffs_for_user, requests_for_user

PAGE_SIZE = 25
REQUESTS_SHOWN = 20


@login_required
@require_GET
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    timeline = timeline_for(incident)
    deadlines = [
        (label, due, time_left(due) if incident.status != "closed" else "—")
        for label, due in (
            ("Acknowledge", incident.ack_due_at),
            ("Contain", incident.contain_due_at),
            ("Resolve", incident.resolve_due_at),
        )
    ]
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "pole": incident.pole_entities.all(),
            "timeline": timeline,
            "deadlines": deadlines,
            "acknowledge": may_acknowledge(request.user, incident),
            # Asked of the owner only: nobody else requests audit access to the incident.
            "grant_request": may_request_grant(request.user, incident)
            if incident.owner_id == request.user.pk
            else None,
            "next_actions": next_actions(incident),
        },
    )


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    decision = may_acknowledge(request.user, incident)
    if not decision:
        raise PolicyError(
            "access_denied",
            decision.reason,
            tenant=incident.organisation,
            object_type="incidents.incident",
            object_id=str(incident.pk),
        )
    lifecycle.acknowledge(incident=incident, actor=request.user)
    return redirect("incident_detail", reference=reference)


@login_required
@require_GET
def my_items(request: HttpRequest) -> HttpResponse:
    items = incidents_for_user(request.user).order_by("-reported_at")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    requests = requests_for_user(request.user)[:REQUESTS_SHOWN]
    handoffs = handoffs_for_user(request.user)
    subject_ids = {int(h["step"].run.subject_id) if h["step"] else int(h["delegation"].subject_id) for h in handoffs}
    incidents = Incident.objects.filter(organisation_id=request.user.organisation_id).in_bulk(subject_ids)
    for handoff in handoffs:
        subject = int(handoff["step"].run.subject_id) if handoff["step"] else int(handoff["delegation"].subject_id)
        handoff["incident"] = incidents.get(subject)
    return render(request, "incidents/incident_list.html", {"page": page, "requests": requests, "handoffs": handoffs})
