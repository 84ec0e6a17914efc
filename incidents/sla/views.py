"""Escalations addressed to the signed-in person, acknowledged here (the lag is recorded), and
the mitigation note a SEV-1/SEV-2 breach-risk warning asks of the responsible person."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.core import clocks as core_clocks
from incidents.core.navigation import INBOX_CHANGED
from incidents.core.selectors import with_failure_to_complete
from incidents.sla.selectors import escalations_for_user, get_escalation_for_user, get_mitigation_warning_for_user
from incidents.sla.services import clock_changes as sla_clock_changes
from incidents.sla.services import escalation
from iwms.refusals import INPUT_STATUS, attempt

PAGE_SIZE = 25


@login_required
@require_GET
def escalation_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(escalations_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = with_failure_to_complete(page.object_list)
    return render(
        request,
        "incidents/escalation_list.html",
        {
            "page": page,
            "rows": rows,
            "waiting": escalations_for_user(request.user).filter(acknowledged_at=None).count(),
        },
    )


@login_required
@require_POST
def escalation_acknowledge(request: HttpRequest, escalation_id: int) -> HttpResponse:
    item = get_escalation_for_user(request.user, escalation_id)
    acknowledged = escalation.acknowledge_escalation(escalation=item, actor=request.user)
    if request.htmx:
        # The row, and the count above the list out of band.
        [row] = with_failure_to_complete([get_escalation_for_user(request.user, acknowledged.pk)])
        waiting = escalations_for_user(request.user).filter(acknowledged_at=None).count()
        response = HttpResponse(
            render_to_string("incidents/partials/escalation_row.html", {"item": row}, request=request)
            + render_to_string(
                "incidents/partials/escalation_summary.html", {"waiting": waiting, "oob": True}, request=request
            )
        )
        response["HX-Trigger"] = INBOX_CHANGED
        return response
    messages.success(request, f"Level {acknowledged.level} escalation of {item.incident.reference} acknowledged.")
    return redirect("escalation_list")


class MitigationForm(forms.Form):
    note = forms.CharField(
        label="Mitigation note",
        widget=forms.Textarea(attrs={"rows": 5}),
        min_length=core_clocks.MIN_MITIGATION_NOTE,
        help_text="What you are doing to meet the deadline, or why it will be missed and what limits the harm.",
        error_messages={
            "required": "Write the mitigation note.",
            "min_length": f"Say a little more (at least {core_clocks.MIN_MITIGATION_NOTE} characters).",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mitigation_note(request: HttpRequest, warning_id: int) -> HttpResponse:
    warning = get_mitigation_warning_for_user(request.user, warning_id)
    form = MitigationForm(request.POST or None, initial={"note": warning.mitigation_note})
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            form,
            lambda: sla_clock_changes.record_mitigation_note(
                warning=warning, actor=request.user, note=form.cleaned_data["note"]
            ),
        )
    ):
        messages.success(request, f"Mitigation note recorded on {warning.incident.reference}.")
        return redirect("incident_detail", reference=warning.incident.reference)
    status = INPUT_STATUS if request.method == "POST" else 200
    return render(
        request,
        "incidents/mitigation_note.html",
        {
            "warning": warning,
            "incident": warning.incident,
            "form": form,
            "time_left": core_clocks.time_to(warning.due_at),
        },
        status=status,
    )
