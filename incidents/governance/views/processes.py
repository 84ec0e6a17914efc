"""The governance processes' pages: the department head's monthly verification checklist, the
tenant admin's HR events, and the structural check's findings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from incidents.governance import selectors
from incidents.governance.forms import HrEventForm, VerificationForm
from incidents.governance.models import HrEvent, StructuralFinding, Verification
from incidents.governance.policy import may_receive_hr_events
from incidents.governance.services.hr_events import receive_hr_event
from incidents.governance.services.verification import record_verification, unit_rows
from incidents.governance.views.structure import _attempt, _member
from incidents.models import Incident

LIST_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def verification(request: HttpRequest, code: str) -> HttpResponse:
    """The unit's open verification: a checklist of its actual rows, signed off by the person
    responsible for the verification incident."""
    _member(request)
    unit = selectors.get_unit_for_user(request.user, code)
    pending = Verification.objects.filter(unit=unit, verified_at__isnull=True).first()
    if pending is None:
        raise Http404("No verification of this unit is open.")
    incident = Incident.objects.select_related("responsible").get(pk=pending.incident_id)
    if incident.responsible_id != request.user.pk:
        raise PermissionDenied(f"{incident.responsible} signs this verification off.")
    rows = unit_rows(unit)
    form = VerificationForm(request.POST or None, rows=rows)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            status = _attempt(
                form,
                lambda: record_verification(
                    verification=pending,
                    actor=request.user,
                    verdicts=form.verdicts(),
                    sign_off=form.cleaned_data["sign_off"],
                ),
            )
            if not status:
                messages.success(request, f"Organogram of {unit} verified; {incident.reference} goes to review.")
                return redirect("governance:unit", code=unit.code)
    context = {"unit": unit, "verification": pending, "incident": incident, "form": form}
    return render(request, "governance/verification_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def hr_events(request: HttpRequest) -> HttpResponse:
    """The tenant admin enters an HR event (the same service the HR system's API calls) and
    sees the events received, applied or kept as mismatches."""
    decision = may_receive_hr_events(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)
    form = HrEventForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            kept: list[HrEvent] = []
            status = _attempt(
                form,
                lambda: kept.append(
                    receive_hr_event(
                        tenant=request.user.organisation,
                        payload=form.payload(),
                        received_via="form",
                        actor=request.user,
                    )
                ),
            )
            if not status:
                event = kept[0]
                if event.mismatch_reference:
                    messages.warning(
                        request, f"Kept as a mismatch: {event.mismatch_reference} goes to the department head."
                    )
                else:
                    messages.success(request, f"HR {event.get_kind_display()} applied.")
                return redirect("governance:hr_events")
    events = list(
        HrEvent.objects.for_tenant(request.user.organisation_id).select_related("person", "position")[:LIST_SIZE]
    )
    return render(request, "governance/hr_event_list.html", {"form": form, "events": events}, status=status)


@login_required
@require_GET
def findings(request: HttpRequest) -> HttpResponse:
    """What the nightly structural check found: open findings first, then the last resolved."""
    _member(request)
    tenant_id = request.user.organisation_id
    open_rows = selectors.open_findings(tenant_id)
    resolved = list(
        StructuralFinding.objects.for_tenant(tenant_id)
        .filter(resolved_at__isnull=False)
        .select_related("unit")[:LIST_SIZE]
    )
    return render(request, "governance/finding_list.html", {"open": open_rows, "resolved": resolved})
