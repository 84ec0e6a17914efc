"""Correcting an incident's account (narrative, location, POLE) from its work page, when the
automated review questions it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incidents.core.policy import may_correct_account
from incidents.core.selectors import get_incident_for_user
from incidents.work.forms import AccountForm
from incidents.work.services import execution as work
from iwms.refusals import attempt, form_status


@login_required
@require_http_methods(["GET", "POST"])
def incident_account(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    if request.method == "POST":
        may_correct_account(request.user, incident).enforce(incident, state=incident.status)
    initial = {"narrative": incident.narrative, "location": incident.location}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pole = (
            [{"type": data["pole_type"], "name": data["pole_name"], "role": data["pole_role"]}]
            if data["pole_type"]
            else []
        )
        corrected = attempt(
            form,
            lambda: work.correct_account(
                incident=incident,
                actor=request.user,
                narrative=data["narrative"],
                location=data["location"],
                reason=data["reason"],
                pole=pole,
            ),
        )
        if corrected:
            messages.success(request, "The account is corrected; click Complete to send it for review again.")
            return redirect("incident_work", reference=reference)
    return render(
        request,
        "incidents/incident_account.html",
        {"incident": incident, "form": form, "pole": incident.pole_entities.all()},
        status=form_status(form),
    )
