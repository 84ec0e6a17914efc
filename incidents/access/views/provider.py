"""External providers' corner of the portal: the steps handed to them (to accept or decline)
and assigned to them, the evidence they submit on those steps and completing them — nothing
else of the incident beyond what the step needs. Completing goes through the same service and
policy as on the work page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from guardian.core import ObjectPermissionChecker

from arc.choices import Role
from arc.cross_tenant import not_found
from arc.models import Delegation
from arc.roles import roles_of
from incidents.access.services import grants
from incidents.access.views.portal import attachment
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.work.forms import EvidenceForm
from incidents.work.services import execution as work
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import attempt, form_status
from workflows import evidence_files
from workflows.choices import EvidenceKind
from workflows.models import Evidence, Step
from workflows.policy import may_complete_step
from workflows.services.steps import STEP_SUBJECT, missing_evidence_kinds

SUBJECT = "incidents.incident"


def _provider(request: HttpRequest) -> User:
    user = request.user
    if user.organisation_id is None or Role.EXTERNAL_PROVIDER not in roles_of(user):
        raise Http404("Not an external provider.")
    return user


def _assigned_steps(user: User):
    return (
        Step.objects.for_tenant(user.organisation_id)
        .filter(assignee=user, run__subject_type=SUBJECT)
        .select_related("run")
        .order_by("status", "due_at", "pk")
    )


def _waiting_handoffs(user: User):
    """Steps handed to the provider and waiting for her acceptance."""
    return Delegation.objects.for_tenant(user.organisation_id).filter(
        to_person=user, status="proposed", subject_type=STEP_SUBJECT
    )


def _incidents_of(steps: list[Step]) -> dict[int, Incident]:
    ids = {int(step.run.subject_id) for step in steps}
    return {i.pk: i for i in Incident.objects.filter(pk__in=ids).only("pk", "reference", "title", "location", "status")}


@login_required
@require_GET
def provider_steps(request: HttpRequest) -> HttpResponse:
    user = _provider(request)
    steps = list(_assigned_steps(user))
    waiting = list(_waiting_handoffs(user).select_related("from_person").order_by("created_at", "pk"))
    handed = (
        Step.objects.for_tenant(user.organisation_id)
        .filter(run__subject_type=SUBJECT)
        .select_related("run")
        .in_bulk([int(d.subject_id) for d in waiting])
    )
    incidents = _incidents_of([*steps, *handed.values()])
    rows = [{"step": step, "incident": incidents[int(step.run.subject_id)]} for step in steps]
    handoffs = [
        {"delegation": d, "step": step, "incident": incidents[int(step.run.subject_id)]}
        for d in waiting
        if (step := handed.get(int(d.subject_id))) is not None
    ]
    return render(request, "incidents/provider/step_list.html", {"rows": rows, "handoffs": handoffs})


@login_required
@require_POST
def provider_handoff_decide(request: HttpRequest, delegation_id: int) -> HttpResponse:
    """Accept (the step becomes hers: evidence and Complete) or decline with a note."""
    user = _provider(request)
    delegation = _waiting_handoffs(user).filter(pk=delegation_id).first()
    if delegation is None:
        raise not_found(user, Delegation, "No hand-off waiting for you.", pk=delegation_id)
    accept = request.POST.get("decision") == "accept"
    try:
        work.decide_delegation(delegation=delegation, actor=user, accept=accept, note=request.POST.get("note", ""))
    except PolicyError as exc:
        if exc.context.get("field") != "note":
            raise
        messages.error(request, exc.message)
        return redirect("portal_provider")
    if accept:
        messages.success(request, "Hand-off accepted: the step is yours to work and complete.")
        return redirect("portal_provider_step", step_id=int(delegation.subject_id))
    messages.success(request, f"Hand-off declined; {delegation.from_person} is told why.")
    return redirect("portal_provider")


def _completion(user: User, step: Step, incident: Incident) -> dict[str, Any]:
    """Whether the provider may complete the step now, and why not: the work page's rules."""
    allowed = may_complete_step(user, step)
    missing = missing_evidence_kinds(step)
    if not allowed:
        reason = allowed.reason
    elif incident.status != IncidentStatus.IN_PROGRESS:
        reason = f"The incident is {incident.get_status_display()}; steps are completed while it is in progress."
    elif missing:
        reason = "Needs " + ", ".join(str(EvidenceKind(kind).label) for kind in missing) + " first."
    else:
        reason = ""
    return {
        "may_complete": not reason,
        "complete_reason": reason,
        "needs": [(str(EvidenceKind(kind).label), kind not in missing) for kind in step.required_evidence],
    }


@login_required
@require_POST
def provider_step_complete(request: HttpRequest, step_id: int) -> HttpResponse:
    user = _provider(request)
    step = _assigned_steps(user).filter(pk=step_id).select_related("run__responsible", "assignee").first()
    if step is None:
        raise not_found(user, Step, "No such step for you.", pk=step_id)
    incident = Incident.objects.get(organisation_id=user.organisation_id, pk=int(step.run.subject_id))
    work.complete_step(incident=incident, step=step, actor=user)
    messages.success(request, f"Step {step.position} '{step.name}' completed; {step.run.responsible} is told.")
    return redirect("portal_provider_step", step_id=step.pk)


@login_required
@require_http_methods(["GET", "POST"])
def provider_step(request: HttpRequest, step_id: int) -> HttpResponse:
    user = _provider(request)
    step = _assigned_steps(user).filter(pk=step_id).select_related("run__responsible", "assignee").first()
    if step is None:
        raise not_found(user, Step, "No such step for you.", pk=step_id)
    incident = _incidents_of([step])[int(step.run.subject_id)]
    form = EvidenceForm(prefix="evidence")
    del form.fields["source"]
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES, prefix="evidence")
        del form.fields["source"]
        if form.is_valid():
            data = form.cleaned_data

            def submit() -> None:
                # All the picked files or none: one refused file must not leave the others behind.
                grants.add_provider_evidence_items(
                    step=step,
                    actor=user,
                    kind=data["kind"],
                    collected_at=data["collected_at"],
                    relevance=data["relevance"],
                    location=data["location"],
                    uploads=data["files"],
                    text=data["text"],
                )

            if attempt(form, submit):
                return redirect("portal_provider_step", step_id=step.pk)
    own = Evidence.objects.filter(step=step, submitted_by=user).order_by("created_at", "pk")
    return render(
        request,
        "incidents/provider/step_detail.html",
        {"step": step, "incident": incident, "form": form, "own_evidence": own, **_completion(user, step, incident)},
        status=form_status(form),
    )


@login_required
@require_GET
def provider_evidence(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """Only the evidence the provider submitted: guardian's direct table says so."""
    user = _provider(request)
    item = Evidence.objects.for_tenant(user.organisation_id).filter(pk=evidence_id).exclude(storage_name="").first()
    if item is None or not ObjectPermissionChecker(user).has_perm(grants.VIEW_EVIDENCE, item):
        raise not_found(user, Evidence, "No such evidence.", pk=evidence_id)
    return attachment(
        evidence_files.open_content(item.storage_name),
        evidence_files.suggested_filename(item.original_name, item.media_type),
        item.media_type or "application/octet-stream",
    )
