"""External providers' corner of the portal: the steps assigned to them and the evidence they
submit on those steps — nothing else of the incident beyond what the step needs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from guardian.core import ObjectPermissionChecker

from arc.choices import Role
from arc.cross_tenant import not_found
from arc.roles import roles_of
from incidents.models import Incident
from incidents.services import grants
from incidents.views.portal import attachment
from incidents.work_forms import EvidenceForm
from iwms.models import User
from iwms.refusals import attempt, form_status
from workflows import evidence_files
from workflows.models import Evidence, Step

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


def _incidents_of(steps: list[Step]) -> dict[int, Incident]:
    ids = {int(step.run.subject_id) for step in steps}
    return {i.pk: i for i in Incident.objects.filter(pk__in=ids).only("pk", "reference", "title", "location")}


@login_required
@require_GET
def provider_steps(request: HttpRequest) -> HttpResponse:
    user = _provider(request)
    steps = list(_assigned_steps(user))
    incidents = _incidents_of(steps)
    rows = [{"step": step, "incident": incidents[int(step.run.subject_id)]} for step in steps]
    return render(request, "incidents/provider/step_list.html", {"rows": rows})


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
                for index, upload in enumerate(data["files"] or [None]):
                    fresh = Step.objects.select_related("run__responsible", "assignee").get(pk=step.pk)
                    grants.add_provider_evidence(
                        step=fresh,
                        actor=user,
                        kind=data["kind"],
                        collected_at=data["collected_at"],
                        relevance=data["relevance"],
                        location=data["location"],
                        upload=upload,
                        text=data["text"] if index == 0 else "",
                    )

            if attempt(form, submit):
                return redirect("portal_provider_step", step_id=step.pk)
    own = Evidence.objects.filter(step=step, submitted_by=user).order_by("created_at", "pk")
    return render(
        request,
        "incidents/provider/step_detail.html",
        {"step": step, "incident": incident, "form": form, "own_evidence": own},
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
