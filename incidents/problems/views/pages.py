"""The problem list (with the known-error register as a filter), raising a problem (also from
an incident, its facts carried over) and the problem's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from incidents.core.selectors import get_incident_for_user
from incidents.models import Incident
from incidents.problems import policy
from incidents.problems.forms import (
    FilterForm,
    LinkIncidentForm,
    ProblemForm,
    ReopenForm,
    ResolveForm,
    WorkaroundForm,
)
from incidents.problems.models import Problem
from incidents.problems.selectors import filtered_problems, get_problem_for_user, incident_links, timeline_for
from incidents.problems.services.raising import raise_problem
from incidents.problems.similarity import similar_problems
from iwms.refusals import attempt, form_status

PAGE_SIZE = 25


def _require_view(request: HttpRequest) -> None:
    decision = policy.may_view_problems(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)


@login_required
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    filters = FilterForm(request.GET or None)
    terms = filters.cleaned_data if filters.is_valid() else {}
    rows = filtered_problems(
        request.user,
        status=terms.get("status", ""),
        known_errors=terms.get("known_errors", False),
        text=terms.get("q", ""),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "problems/problem_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "may_raise": policy.may_raise_problem(request.user),
        },
    )


def _incident_facts(incident: Incident) -> dict:
    return {
        "title": incident.title,
        "description": f"Raised from {incident.reference} ({incident.location}, "
        f"{timezone.localtime(incident.occurred_at):%d %b %Y %H:%M}):\n{incident.narrative}",
        "category": incident.category_id,
        "detection_source": "incident",
    }


@login_required
@require_http_methods(["GET", "POST"])
def problem_new(request: HttpRequest) -> HttpResponse:
    """Raise a problem; with `?incident=REF` its facts are carried over and it is linked."""
    decision = policy.may_raise_problem(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)
    reference = request.GET.get("incident") or request.POST.get("incident") or ""
    incident = get_incident_for_user(request.user, reference) if reference else None
    tenant_id = request.user.organisation_id
    if request.method == "POST":
        form = ProblemForm(request.POST, tenant_id=tenant_id)
        created: list[Problem] = []
        if form.is_valid() and attempt(
            form,
            lambda: created.append(
                raise_problem(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    category=form.cleaned_data["category"],
                    detection_source=form.cleaned_data["detection_source"],
                    from_incident=incident,
                    similar_confirmed=form.cleaned_data["similar_confirmed"],
                )
            ),
        ):
            return redirect("problems:detail", reference=created[0].reference)
    else:
        form = ProblemForm(initial=_incident_facts(incident) if incident else None, tenant_id=tenant_id)
    similar = []
    data = getattr(form, "cleaned_data", {})
    if {"title", "description", "category"} <= set(data):  # shown beside the refusal that names them
        text = f"{data['title']} {data['description']}"
        similar = similar_problems(tenant_id=tenant_id, category=data["category"], text=text)
    return render(
        request,
        "problems/problem_form.html",
        {"form": form, "incident": incident, "similar": similar},
        status=form_status(form),
    )


def detail_context(request: HttpRequest, problem: Problem, **forms: object) -> dict:
    user = request.user
    return {
        "problem": problem,
        "links": incident_links(problem),
        "timeline": timeline_for(problem),
        "may": {
            "start": policy.may_start_investigation(user, problem),
            "workaround": policy.may_record_workaround(user, problem),
            "resolve": policy.may_resolve(user, problem),
            "close": policy.may_close(user, problem),
            "reopen": policy.may_reopen_investigation(user, problem),
        },
        "workaround_form": forms.get("workaround_form") or WorkaroundForm(initial={"workaround": problem.workaround}),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "link_form": forms.get("link_form") or LinkIncidentForm(),
    }


@login_required
@require_GET
def problem_detail(request: HttpRequest, reference: str) -> HttpResponse:
    problem = get_problem_for_user(request.user, reference)
    return render(request, "problems/problem_detail.html", detail_context(request, problem))
