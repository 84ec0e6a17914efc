"""The work page: the responsible person's page for an incident's workflow. Every step action
answers an HTMX request with the re-rendered step (errors next to their fields, typed values
kept) and a plain request with a redirect back to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arc.cross_tenant import not_found
from arc.roles import is_read_only
from incidents.choices import IncidentStatus
from incidents.core.policy import may_complete_work, may_correct_account
from incidents.core.selectors import get_incident_for_user
from incidents.models import Incident
from incidents.work.forms import (
    DelegateForm,
    EvidenceForm,
    NotApplicableForm,
    PauseForm,
    ResolveRequestForm,
    TakeBackForm,
    colleague_choices,
)
from incidents.work.selectors import get_evidence_for_user, requested_evidence, work_steps
from incidents.work.services import execution as work
from incidents.work.services import review
from iwms.errors import PolicyError
from iwms.refusals import INPUT_STATUS, attempt, form_status
from workflows import evidence_files
from workflows.choices import EvidenceKind, RunKind
from workflows.models import Step, WorkflowRun
from workflows.policy import may_complete_step, may_resolve_request, may_undo_not_applicable, may_work_step
from workflows.selectors import latest_handoffs, latest_review
from workflows.services.steps import may_take_back, missing_evidence_kinds

# How often the work page asks whether the review of its latest Complete has been stored.
REVIEW_POLL_SECONDS = 3


def _step_context(
    request: HttpRequest,
    incident: Incident,
    step: Step,
    people: list | None = None,
    handoffs: dict[int, Any] | None = None,
    **forms: Any,
) -> dict[str, Any]:
    """What one step's partial needs; `people` (the colleague choices) and `handoffs` (the
    steps' latest hand-offs) are read once per page."""
    if people is None:
        people = colleague_choices(request.user)
    if handoffs is None:
        handoffs = latest_handoffs([step.pk])
    handoff = handoffs.get(step.pk)
    live = handoff if handoff is not None and handoff.status in ("proposed", "accepted") else None
    take_back, _ = may_take_back(request.user, step, live)
    in_progress = incident.status == IncidentStatus.IN_PROGRESS
    may_work = may_work_step(request.user, step)
    may_complete = may_complete_step(request.user, step)
    missing = missing_evidence_kinds(step)
    return {
        "incident": incident,
        "step": step,
        "may_undo_na": in_progress and bool(may_undo_not_applicable(request.user, step)),
        "may_work": bool(may_work) and in_progress and not step.is_done,
        "work_reason": may_work.reason if not may_work else ("" if in_progress else "The incident is not in progress."),
        "may_complete": bool(may_complete) and in_progress and not missing,
        "complete_reason": may_complete.reason
        or (
            "Needs " + ", ".join(str(EvidenceKind(k).label) for k in missing) + " first."
            if missing
            else ("" if in_progress else "The incident is not in progress.")
        ),
        "missing": missing,
        # Required kinds by label ("external reference", not "external_reference"), ticked when covered.
        "needs": [(str(EvidenceKind(kind).label), kind not in missing) for kind in step.required_evidence],
        # The form offers the first kind the step still needs, not always a photo.
        "evidence_form": forms.get("evidence_form")
        or EvidenceForm(prefix=f"s{step.pk}", initial={"kind": missing[0]} if missing else None),
        "na_form": forms.get("na_form") or NotApplicableForm(prefix=f"s{step.pk}"),
        "pause_form": forms.get("pause_form") or PauseForm(prefix=f"s{step.pk}", user=request.user, people=people),
        "delegate_form": forms.get("delegate_form")
        or DelegateForm(prefix=f"s{step.pk}", user=request.user, people=people),
        "open_panel": forms.get("open_panel", ""),
        "handoff": handoff,
        "may_take_back": take_back and incident.status == IncidentStatus.IN_PROGRESS,
        "take_back_form": forms.get("take_back_form") or TakeBackForm(prefix=f"s{step.pk}"),
    }


def _completion_context(request: HttpRequest, incident: Incident, run: WorkflowRun | None) -> dict[str, Any]:
    """What the Complete panel needs (re-rendered out of band after every step action)."""
    blockers = work.completion_blockers(incident, run)
    return {
        "incident": incident,
        "blockers": blockers,
        "may_complete_work": bool(may_complete_work(request.user, incident)) and not blockers,
        "is_responsible": request.user.pk == incident.responsible_id,
        "review_pending": review.awaiting_review(incident, run),
        "review_poll_seconds": REVIEW_POLL_SECONDS,
    }


def _work_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    run = work.workflow_of(incident)
    steps = work_steps(incident, run)
    last_review = latest_review(run) if run else None
    anchors = {step.key: (step.pk, step.position) for step in steps}
    people = colleague_choices(request.user)
    handoffs = latest_handoffs([step.pk for step in steps])
    findings = [
        {**finding, "anchor": anchors.get(finding.get("step"), (None, None))}
        for finding in (last_review.findings if last_review else [])
    ]
    requested = [{**item, "anchor": anchors.get(item["step"], (None, None))} for item in requested_evidence(incident)]
    return {
        **_completion_context(request, incident, run),
        "run": run,
        "steps": [_step_context(request, incident, step, people, handoffs) for step in steps],
        "review": last_review,
        "findings": findings,
        "requested_evidence": requested,
        "reviews": list(run.reviews.order_by("-sequence")) if run else [],
        "delegate_incident_form": DelegateForm(prefix="whole", user=request.user, people=people),
        "may_correct_account": bool(may_correct_account(request.user, incident)),
    }


@login_required
@require_GET
def work_page(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    return render(request, "incidents/work.html", _work_context(request, incident))


@require_GET
def work_review(request: HttpRequest, reference: str) -> HttpResponse:
    """What the work page polls while the review of its latest Complete is in progress: nothing
    (204, the poll goes on) until the verdict is stored, then the page's content, which polls no
    more. A poll from a page whose session has ended gets nothing to swap."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204) if request.htmx else redirect_to_login(request.get_full_path())
    incident = get_incident_for_user(request.user, reference)
    if review.awaiting_review(incident, work.workflow_of(incident)):
        response = HttpResponse(status=204)
    elif request.htmx:
        response = render(request, "incidents/partials/work_body.html", _work_context(request, incident))
    else:
        return redirect("incident_work", reference=reference)
    response["Cache-Control"] = "no-store"
    return response


def _step_of(request: HttpRequest, incident: Incident, step_id: int) -> Step:
    step = (
        Step.objects.filter(
            pk=step_id,
            run__subject_type=work.SUBJECT,
            run__subject_id=str(incident.pk),
            run__kind__in=[RunKind.MAIN, RunKind.CORRECTIVE],
        )
        .select_related("run__responsible", "assignee")
        .first()
    )
    if step is None:
        raise not_found(request.user, Step, "No such step on this incident.", pk=step_id)
    return step


def _step_response(
    request: HttpRequest, incident: Incident, step_id: int, status: int = 200, **forms: Any
) -> HttpResponse:
    incident = Incident.objects.select_related("category", "responsible").get(pk=incident.pk)
    run = work.workflow_of(incident)
    step = next(s for s in work_steps(incident, run) if s.pk == step_id)
    context = _step_context(request, incident, step, **forms)
    context["completion"] = _completion_context(request, incident, run)
    return render(request, "incidents/partials/step.html", context, status=status)


def after_step_action(request: HttpRequest, incident: Incident, step_id: int) -> HttpResponse:
    """The answer to an action on a step: the re-rendered step (HTMX) or the work page at it."""
    if request.htmx:
        response = _step_response(request, incident, step_id)
        # A done action can collapse the step's open panels (the evidence form alone is a
        # screen high), which left the person looking at the next step's form instead of what
        # they just did. Bring the step they acted on into view, as the plain redirect's #step
        # anchor does. Refusals (422) keep the scroll position: the error stays beside its field.
        response["HX-Reswap"] = f"outerHTML show:#step-{step_id}:top"
        return response
    return redirect(f"{reverse('incident_work', args=[incident.reference])}#step-{step_id}")


def _form_failure(
    request: HttpRequest, incident: Incident, step_id: int, form_name: str, form: Any, panel: str
) -> HttpResponse:
    if request.htmx:
        return _step_response(request, incident, step_id, status=INPUT_STATUS, **{form_name: form, "open_panel": panel})
    context = _work_context(request, incident)
    for entry in context["steps"]:
        if entry["step"].pk == step_id:
            entry[form_name] = form
            entry["open_panel"] = panel
    return render(request, "incidents/work.html", context, status=INPUT_STATUS)


@login_required
@require_POST
def step_evidence(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    step = _step_of(request, incident, step_id)
    form = EvidenceForm(request.POST, request.FILES, prefix=f"s{step.pk}")
    if not form.is_valid():
        return _form_failure(request, incident, step.pk, "evidence_form", form, "evidence")
    data = form.cleaned_data
    fields = {
        "kind": data["kind"],
        "source": data["source"],
        "collected_at": data["collected_at"],
        "relevance": data["relevance"],
        "location": data["location"],
    }

    def add_all() -> None:
        # All the picked files or none: one refused file must not leave the others behind.
        work.add_step_evidence_items(
            incident=incident, step=step, actor=request.user, uploads=data["files"], text=data["text"], **fields
        )

    if not attempt(form, add_all):
        return _form_failure(request, incident, step.pk, "evidence_form", form, "evidence")
    return after_step_action(request, incident, step.pk)


@login_required
@require_POST
def step_complete(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    step = _step_of(request, incident, step_id)
    work.complete_step(incident=incident, step=step, actor=request.user)
    return after_step_action(request, incident, step.pk)


def _step_form_action(
    request: HttpRequest,
    reference: str,
    step_id: int,
    *,
    form_class: type,
    form_name: str,
    panel: str,
    call: Callable[[Incident, Step, dict[str, Any]], Any],
) -> HttpResponse:
    """Validate a step form, call its service, and answer with the step or its errors."""
    incident = get_incident_for_user(request.user, reference)
    step = _step_of(request, incident, step_id)
    extra: dict[str, Any] = {"user": request.user} if form_class in (PauseForm, DelegateForm) else {}
    form = form_class(request.POST, prefix=f"s{step.pk}", **extra)
    if not form.is_valid() or not attempt(form, lambda: call(incident, step, form.cleaned_data)):
        return _form_failure(request, incident, step.pk, form_name, form, panel)
    return after_step_action(request, incident, step.pk)


@login_required
@require_POST
def step_not_applicable(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    return _step_form_action(
        request,
        reference,
        step_id,
        form_class=NotApplicableForm,
        form_name="na_form",
        panel="na",
        call=lambda incident, step, data: work.mark_step_not_applicable(
            incident=incident, step=step, actor=request.user, justification=data["justification"]
        ),
    )


@login_required
@require_POST
def step_undo_not_applicable(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    step = _step_of(request, incident, step_id)
    work.undo_step_not_applicable(incident=incident, step=step, actor=request.user)
    return after_step_action(request, incident, step.pk)


@login_required
@require_POST
def step_pause(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    return _step_form_action(
        request,
        reference,
        step_id,
        form_class=PauseForm,
        form_name="pause_form",
        panel="pause",
        call=lambda incident, step, data: work.pause_step(incident=incident, step=step, actor=request.user, **data),
    )


@login_required
@require_POST
def step_delegate(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    return _step_form_action(
        request,
        reference,
        step_id,
        form_class=DelegateForm,
        form_name="delegate_form",
        panel="delegate",
        call=lambda incident, step, data: work.delegate_step(incident=incident, step=step, actor=request.user, **data),
    )


@login_required
@require_POST
def step_take_back(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    return _step_form_action(
        request,
        reference,
        step_id,
        form_class=TakeBackForm,
        form_name="take_back_form",
        panel="take_back",
        call=lambda incident, step, data: work.take_step_back(
            incident=incident, step=step, actor=request.user, reason=data["reason"]
        ),
    )


@login_required
@require_GET
def evidence_file(request: HttpRequest, reference: str, evidence_id: int, variant: str) -> HttpResponse:
    """The only way to an evidence file: through the incident the user may see, as an
    attachment (never rendered inline), with nosniff."""
    incident = get_incident_for_user(request.user, reference)
    item = get_evidence_for_user(request.user, incident, evidence_id)
    if variant == "thumbnail" and item.thumbnail_name:
        handle = evidence_files.open_thumbnail(item.thumbnail_name)
        response = FileResponse(handle, content_type="image/jpeg")
    elif variant == "download" and item.storage_name:
        handle = evidence_files.open_content(item.storage_name)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=evidence_files.suggested_filename(item.original_name, item.media_type),
            content_type=item.media_type or "application/octet-stream",
        )
    else:
        raise Http404("This evidence has no such file.")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def incident_complete(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    work.complete_work(incident=incident, actor=request.user)
    return redirect("incident_work", reference=reference)


@login_required
@require_POST
def incident_review(request: HttpRequest, reference: str) -> HttpResponse:
    """Send the review again for an incident left half-closed (the worker was down, or the
    broker refused the task)."""
    incident = get_incident_for_user(request.user, reference)
    review.send_review_again(incident=incident, actor=request.user)
    return redirect("incident_work", reference=reference)


@login_required
@require_http_methods(["GET", "POST"])
def information_request(request: HttpRequest, request_id: int) -> HttpResponse:
    """The page of one information request, for the person asked to answer it."""
    info = (
        WorkflowRun.objects.filter(
            pk=request_id, kind=RunKind.INFORMATION_REQUEST, organisation_id=request.user.organisation_id
        )
        .select_related("parent_step__run", "requested_by", "responsible")
        .first()
    )
    if info is None or request.user.pk not in (info.responsible_id, info.requested_by_id):
        raise not_found(request.user, WorkflowRun, "No such information request.", pk=request_id)
    if is_read_only(request.user):
        # An auditor or regulator was never to be asked: the page shows them nothing of it.
        raise PolicyError(
            "access_denied",
            "Auditors and regulators read through their grants; they do not answer information requests.",
            tenant=info.organisation,
            object_type="workflows.workflowrun",
            object_id=str(info.pk),
        )
    form = ResolveRequestForm(request.POST or None)
    if request.method == "POST":
        may_resolve_request(request.user, info).enforce(info)
        if form.is_valid() and attempt(
            form,
            lambda: work.resolve_information_request(
                request=info, actor=request.user, resolution=form.cleaned_data["resolution"]
            ),
        ):
            return redirect("information_request", request_id=info.pk)
    incident = Incident.objects.filter(pk=int(info.subject_id)).only("reference", "title").first()
    return render(
        request,
        "incidents/information_request.html",
        {"info": info, "form": form, "incident": incident, "may_resolve": may_resolve_request(request.user, info)},
        status=form_status(form),
    )
