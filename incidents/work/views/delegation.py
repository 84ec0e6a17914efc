"""Handing responsibility on: delegating an incident from its work page, and accepting or
declining a hand-off proposed to you (listed on "my items")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from arc.cross_tenant import not_found
from arc.models import Delegation
from incidents.core.policy import may_delegate_incident
from incidents.core.selectors import get_incident_for_user
from incidents.work.forms import DelegateForm
from incidents.work.services import execution as work
from iwms.refusals import form_refusal


@login_required
@require_POST
def incident_delegate(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    may_delegate_incident(request.user, incident).enforce(incident, state=incident.status)
    form = DelegateForm(request.POST, prefix="whole", user=request.user)
    if not form.is_valid():
        raise form_refusal(form, incident)
    delegation = work.delegate_incident(incident=incident, actor=request.user, **form.cleaned_data)
    if delegation.status == "proposed":
        messages.info(request, f"Hand-off proposed to {delegation.to_person}; it takes effect when they accept.")
    else:
        messages.success(request, f"{delegation.to_person} is now responsible; {incident.owner} stays accountable.")
    return redirect("incident_detail", reference=reference)


@login_required
@require_POST
def delegation_decide(request: HttpRequest, delegation_id: int) -> HttpResponse:
    delegation = Delegation.objects.filter(
        pk=delegation_id, organisation_id=request.user.organisation_id, to_person=request.user, status="proposed"
    ).first()
    if delegation is None:
        raise not_found(request.user, Delegation, "No hand-off waiting for you.", pk=delegation_id)
    accept = request.POST.get("decision") == "accept"
    work.decide_delegation(delegation=delegation, actor=request.user, accept=accept, note=request.POST.get("note", ""))
    messages.success(request, "Hand-off accepted." if accept else "Hand-off declined.")
    return redirect("my_items")
