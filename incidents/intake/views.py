"""The four-step reporting wizard at /report/. Each step has its own URL; state lives in a
server-side draft, so back, refresh and an interrupted session lose nothing."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arc.cross_tenant import not_found
from incidents.choices import IncidentKind
from incidents.core.deadlines import deadlines_for, policy_for
from incidents.core.policy import may_report
from incidents.intake.forms import ClassificationForm, ContextForm, KindForm, PoleForm, PoleFormSet
from incidents.intake.services import intake
from incidents.intake.services.assignment import plan_assignment
from incidents.intake.services.proposals import proposer_for
from incidents.models import Category, ReportDraft
from iwms.errors import PolicyError
from workflows.services.templates import template_for_category_code

STEP_TITLES = {
    "kind": "What do you want to report?",
    "classification": "Classification",
    "context": "Context and scope",
    "confirm": "Confirmation",
}


def _draft_for(request: HttpRequest, token: uuid.UUID) -> ReportDraft:
    draft = ReportDraft.objects.filter(token=token, reporter=request.user).select_related("incident").first()
    if draft is None:
        raise not_found(request.user, ReportDraft, "No such report draft.", token=token)
    return draft


def _step_url(draft: ReportDraft, step: str) -> str:
    return reverse("report_step", args=[draft.token, step])


def _render(request: HttpRequest, draft: ReportDraft, step: str, context: dict, status: int = 200) -> HttpResponse:
    steps = list(STEP_TITLES.items())
    index = intake.STEPS.index(step)
    previous = intake.STEPS[index - 1] if index else None
    return render(
        request,
        f"incidents/report/{step}.html",
        {
            "draft": draft,
            "step": step,
            "steps": steps,
            "step_number": index + 1,
            "step_title": STEP_TITLES[step],
            "previous_url": _step_url(draft, previous) if previous else None,
            **context,
        },
        status=status,
    )


@login_required
@require_GET
def report_start(request: HttpRequest) -> HttpResponse:
    decision = may_report(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)
    draft = intake.resumable_draft(reporter=request.user) or intake.start_draft(reporter=request.user)
    return redirect(_step_url(draft, intake.first_incomplete_step(draft) if draft.data else "kind"))


@login_required
@require_POST
def report_new(request: HttpRequest) -> HttpResponse:
    if not may_report(request.user):
        raise PermissionDenied
    return redirect(_step_url(intake.start_draft(reporter=request.user), "kind"))


@login_required
@require_http_methods(["GET", "POST"])
def report_step(request: HttpRequest, token: uuid.UUID, step: str) -> HttpResponse:
    draft = _draft_for(request, token)
    if draft.is_submitted:
        return redirect("incident_detail", reference=draft.outcome.reference)
    if step not in intake.STEPS:
        raise Http404("No such step.")
    reachable = intake.STEPS.index(intake.first_incomplete_step(draft))
    if intake.STEPS.index(step) > reachable:
        return redirect(_step_url(draft, intake.STEPS[reachable]))
    return {"kind": _kind, "classification": _classification, "context": _context, "confirm": _confirm}[step](
        request, draft
    )


def _initial(draft: ReportDraft, step: str) -> dict:
    """What the step's form shows: the draft's saved values, then what was typed since."""
    initial = {**draft.data, **intake.typed_values(draft, step)}
    initial.pop("typed", None)
    return initial


@login_required
@require_POST
def report_typed(request: HttpRequest, token: uuid.UUID, step: str) -> HttpResponse:
    """Keep what is typed into a step as it is typed (HTMX, a moment after each keystroke)."""
    draft = _draft_for(request, token)
    if draft.is_submitted:
        return HttpResponse(status=204)
    intake.keep_typed(draft=draft, step=step, values=request.POST)
    return HttpResponse(status=204)


def _kind(request: HttpRequest, draft: ReportDraft) -> HttpResponse:
    form = KindForm(request.POST or None, initial=_initial(draft, "kind"))
    if request.method == "POST" and form.is_valid():
        intake.save_step(draft=draft, values=form.cleaned_data)
        return redirect(_step_url(draft, "classification"))
    kinds = [(value, label, KindForm.explanations[value]) for value, label in IncidentKind.choices]
    return _render(request, draft, "kind", {"form": form, "kinds": kinds}, status=422 if form.errors else 200)


def _category_tree(tenant_id: int, query: str = "") -> list[Category]:
    nodes = list(
        Category.objects.for_tenant(tenant_id).filter(is_active=True, offered_to_reporters=True).with_tree_fields()
    )
    parents = {n.parent_id for n in nodes if n.parent_id}
    for node in nodes:
        node.is_leaf = node.pk not in parents
    if query:
        needle = query.lower()
        matching = {
            n.pk
            for n in nodes
            if n.is_leaf and (needle in n.name.lower() or needle in n.keywords.lower() or needle in n.code.lower())
        }
        keep = {pk for n in nodes if n.pk in matching for pk in n.tree_path}
        nodes = [n for n in nodes if n.pk in keep]
    return nodes


def _classification(request: HttpRequest, draft: ReportDraft) -> HttpResponse:
    initial = _initial(draft, "classification")
    form = ClassificationForm(request.POST or None, initial=initial, tenant=draft.organisation_id)
    if request.method == "POST" and form.is_valid():
        intake.save_step(draft=draft, values=form.cleaned_data)
        return redirect(_step_url(draft, "context"))
    proposals = proposer_for(draft.organisation).propose(draft.data.get("title", ""), k=3)
    context = {
        "form": form,
        "proposals": proposals,
        "tree": _category_tree(draft.organisation_id),
        "selected": form.data.get("category") if form.is_bound else initial.get("category"),
    }
    return _render(request, draft, "classification", context, status=422 if form.errors else 200)


@login_required
@require_GET
def category_search(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    draft = _draft_for(request, token)
    query = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "incidents/report/partials/category_tree.html",
        {"tree": _category_tree(draft.organisation_id, query), "selected": draft.data.get("category"), "query": query},
    )


def _context(request: HttpRequest, draft: ReportDraft) -> HttpResponse:
    initial = _initial(draft, "context")
    category = intake.draft_category(draft)
    if category and "severity" not in initial:
        initial.update(severity=category.default_severity, risk_level=category.default_risk)
    if not initial.get("unit"):
        unit = intake.draft_unit(draft)
        initial["unit"] = unit.pk if unit else None
    if initial.get("occurred_at"):
        # Kept as ISO 8601 with its offset; the field shows local time without one.
        with contextlib.suppress(TypeError, ValueError, OverflowError):  # as typed: Next says what is wrong
            initial["occurred_at"] = timezone.localtime(datetime.fromisoformat(initial["occurred_at"]))
    form = ContextForm(request.POST or None, initial=initial, tenant=draft.organisation)
    # Bound rows carry no initial values: an unchanged pre-filled row must still count as data.
    if request.method == "POST":
        pole = PoleFormSet(request.POST, prefix="pole")
    else:
        pole = PoleFormSet(prefix="pole", initial=initial.get("pole", []))
    if request.method == "POST" and form.is_valid() and pole.is_valid():
        entities = [
            {"type": f.cleaned_data["type"], "name": f.cleaned_data["name"], "role": f.cleaned_data.get("role", "")}
            for f in pole.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        intake.save_step(draft=draft, values={**form.cleaned_data, "pole": entities})
        return redirect(_step_url(draft, "confirm"))
    return _render(
        request,
        draft,
        "context",
        {"form": form, "pole": pole, "category": category},
        status=422 if (form.errors or pole.errors) else 200,
    )


@login_required
@require_GET
def pole_row(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """A new POLE row (appended by HTMX, with the formset's count and the add button swapped
    out of band), or an empty answer for a removed row (the client deletes it)."""
    _draft_for(request, token)
    if request.GET.get("remove"):
        return HttpResponse("")
    try:
        index = max(0, min(int(request.GET.get("index", "0")), 49))
    except ValueError:
        index = 0
    return render(
        request,
        "incidents/report/partials/pole_row.html",
        {
            "form": PoleForm(prefix=f"pole-{index}"),
            "index": index,
            "total": index + 1,
            "draft_token": token,
            "oob": True,
        },
    )


def _confirm(request: HttpRequest, draft: ReportDraft) -> HttpResponse:
    category = intake.draft_category(draft)
    candidates = intake.duplicate_candidates(draft)
    errors: dict[str, str] = {}
    decision = request.POST.get("duplicate", "")
    justification = request.POST.get("justification", "")
    if request.method == "POST":
        if candidates and not decision:
            errors["duplicate"] = "Choose whether this is one of the incidents above or a different event."
        elif decision.startswith("link:"):
            target = next((c.incident for c in candidates if c.incident.reference == decision[5:]), None)
            if target is None:
                errors["duplicate"] = "That incident is no longer open; choose again."
            else:
                intake.link_report(draft=draft, target=target, actor=request.user)
                messages.success(request, f"Your report is linked to {target.reference}; it is on your items.")
                return redirect("incident_detail", reference=target.reference)
        elif candidates and len(justification.strip()) < intake.MIN_JUSTIFICATION:
            errors["justification"] = (
                f"Say why this is a different event (at least {intake.MIN_JUSTIFICATION} characters)."
            )
        if not errors:
            incident = intake.submit_report(draft=draft, actor=request.user, duplicate_justification=justification)
            return redirect("incident_detail", reference=incident.reference)
    try:
        plan = plan_assignment(
            reporter=draft.reporter, category=category, kind=draft.data["kind"], unit=intake.draft_unit(draft)
        )
        plan_error = None
    except PolicyError as exc:
        plan, plan_error = None, exc.message
    deadlines = deadlines_for(draft.data["severity"], timezone.now(), policy_for(category))
    try:
        template = template_for_category_code(
            tenant=draft.organisation_id, template_code=category.workflow_template_code
        )
        template_steps = list(template.steps.order_by("position"))
    except PolicyError as exc:
        template, template_steps, plan_error = None, [], plan_error or exc.message
    return _render(
        request,
        draft,
        "confirm",
        {
            "category": category,
            "template": template,
            "template_steps": template_steps,
            "plan": plan,
            "plan_error": plan_error,
            "deadlines": deadlines,
            "kind_label": IncidentKind(draft.data["kind"]).label,
            "unit": intake.draft_unit(draft),
            "pole": draft.data.get("pole", []),
            "candidates": candidates,
            "errors": errors,
            "decision": decision,
            "justification": justification,
        },
        status=422 if errors else 200,
    )
