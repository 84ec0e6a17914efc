"""The problem's actions (each one service call) and linking from either side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from incidents.core.selectors import get_incident_for_user
from incidents.problems.forms import LinkIncidentForm, LinkProblemForm, ReopenForm, ResolveForm, WorkaroundForm
from incidents.problems.selectors import get_problem_for_user
from incidents.problems.services import lifecycle, links
from incidents.problems.views.pages import detail_context
from iwms.refusals import INPUT_STATUS, attempt, form_refusal


def _with_form(
    request: HttpRequest, reference: str, form_class: type[forms.Form], name: str, call: Callable[..., Any]
) -> HttpResponse:
    """Run `call(problem, cleaned_data)` from a form on the problem's page; an input refusal
    re-renders the page with the message next to its field."""
    problem = get_problem_for_user(request.user, reference)
    form = form_class(request.POST)
    if form.is_valid() and attempt(form, lambda: call(problem, form.cleaned_data)):
        return redirect("problems:detail", reference=problem.reference)
    context = detail_context(request, problem, **{name: form})
    return render(request, "problems/problem_detail.html", context, status=INPUT_STATUS)


@login_required
@require_POST
def problem_start(request: HttpRequest, reference: str) -> HttpResponse:
    problem = get_problem_for_user(request.user, reference)
    lifecycle.start_investigation(problem=problem, actor=request.user)
    return redirect("problems:detail", reference=problem.reference)


@login_required
@require_POST
def problem_workaround(request: HttpRequest, reference: str) -> HttpResponse:
    return _with_form(
        request,
        reference,
        WorkaroundForm,
        "workaround_form",
        lambda problem, data: lifecycle.record_workaround(
            problem=problem, actor=request.user, workaround=data["workaround"]
        ),
    )


@login_required
@require_POST
def problem_resolve(request: HttpRequest, reference: str) -> HttpResponse:
    return _with_form(
        request,
        reference,
        ResolveForm,
        "resolve_form",
        lambda problem, data: lifecycle.resolve_problem(
            problem=problem, actor=request.user, root_cause=data["root_cause"], resolution=data["resolution"]
        ),
    )


@login_required
@require_POST
def problem_close(request: HttpRequest, reference: str) -> HttpResponse:
    problem = get_problem_for_user(request.user, reference)
    lifecycle.close_problem(problem=problem, actor=request.user)
    return redirect("problems:detail", reference=problem.reference)


@login_required
@require_POST
def problem_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _with_form(
        request,
        reference,
        ReopenForm,
        "reopen_form",
        lambda problem, data: lifecycle.reopen_investigation(
            problem=problem, actor=request.user, reason=data["reason"]
        ),
    )


@login_required
@require_POST
def problem_link_incident(request: HttpRequest, reference: str) -> HttpResponse:
    """From the problem's page: link an incident by its reference."""

    def link(problem: Any, data: dict) -> None:
        incident = get_incident_for_user(request.user, data["incident"].strip())
        links.link_incident(problem=problem, incident=incident, actor=request.user, note=data["note"])

    return _with_form(request, reference, LinkIncidentForm, "link_form", link)


@login_required
@require_POST
def incident_link_problem(request: HttpRequest, reference: str) -> HttpResponse:
    """From the incident's page: link it to a problem chosen from the list."""
    incident = get_incident_for_user(request.user, reference)
    form = LinkProblemForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form, incident)
    problem = get_problem_for_user(request.user, form.cleaned_data["problem"])
    links.link_incident(problem=problem, incident=incident, actor=request.user, note=form.cleaned_data["note"])
    messages.success(request, f"Linked to problem {problem.reference}.")
    return redirect("incident_detail", reference=incident.reference)
