"""Pages of the triage slice: the triage step of an incident (matrix, proposal, choice,
decision tree, later changes), the triage page (what waits for the signed-in person), the
manager's decision on a re-prioritisation, a category's decision tree, a breach's post-mortem
and the weekly breach trend."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.choices import IncidentStatus
from incidents.core.selectors import get_incident_for_user, incidents_visible_to
from incidents.models import Category, Incident
from incidents.triage import trees
from incidents.triage.choices import RequestStatus
from incidents.triage.forms import (
    BreachReviewForm,
    DecideForm,
    DecisionTreeForm,
    PriorityForm,
    ReprioritisationRequestForm,
    TriageForm,
)
from incidents.triage.matrix import DIMENSION_LABELS, DIMENSIONS, URGENCY_LEVELS, levels_for, propose
from incidents.triage.models import ReprioritisationRequest, TriageRecord
from incidents.triage.policy import is_manager_of, may_keep_decision_tree, may_read_breach_trend, may_triage
from incidents.triage.selectors import (
    breach_trend,
    breaches_to_review,
    get_breach_for_owner,
    parsed_tree,
    requests_to_decide,
    settings_for,
    tree_for,
)
from incidents.triage.services import breach_reviews, reprioritisation, triage
from incidents.triage.services import trees as tree_service
from iwms.models import User
from iwms.refusals import INPUT_STATUS, attempt, form_status

LIST_LIMIT = 50


@login_required
@require_GET
def triage_home(request: HttpRequest) -> HttpResponse:
    """What waits for the signed-in person: open incidents they own or are responsible for that
    are not triaged, re-prioritisations they decide as a manager, breaches awaiting their post-mortem."""
    user = request.user
    untriaged = (
        incidents_visible_to(user)
        .filter(Q(responsible=user) | Q(owner=user), triage__isnull=True)
        .exclude(status=IncidentStatus.CLOSED)
        .order_by("-reported_at")[:LIST_LIMIT]
        if user.organisation_id
        else []
    )
    return render(
        request,
        "triage/home.html",
        {
            "untriaged": list(untriaged),
            "to_decide": list(requests_to_decide(user)[:LIST_LIMIT]) if user.organisation_id else [],
            "breaches": list(breaches_to_review(user)[:LIST_LIMIT]) if user.organisation_id else [],
            "trend_allowed": may_read_breach_trend(user),
        },
    )


def _tree_context(request: HttpRequest, category: Category) -> dict:
    tree = tree_for(category)
    questions = parsed_tree(tree)
    walk = trees.walk(questions, trees.parse_path(request.GET.get("path", ""))) if questions else None
    return {"category": category, "tree": tree, "walk": walk}


def _triage_context(request: HttpRequest, incident: Incident, form: TriageForm | None = None, **forms) -> dict:
    settings = settings_for(incident.organisation_id)
    record = TriageRecord.objects.filter(incident=incident).select_related("triager").first()
    allowed = may_triage(request.user, incident)
    pending = list(
        ReprioritisationRequest.objects.filter(incident=incident, status=RequestStatus.PENDING).select_related(
            "requested_by"
        )
    )
    manager = is_manager_of(request.user, incident)
    return {
        "incident": incident,
        "record": record,
        "settings": settings,
        "allowed": allowed,
        "form": form or TriageForm(levels=settings.levels, initial={"severity": incident.severity}),
        "priority_form": forms.get("priority_form")
        or PriorityForm(initial={"priority": record.priority if record else None}),
        "scored": _scored(record, settings.levels),
        "request_form": forms.get("request_form") or ReprioritisationRequestForm(),
        "decide_form": DecideForm(),
        "pending": [(item, manager and item.requested_by_id != request.user.pk) for item in pending],
        "is_manager": manager,
        "proposal": forms.get("proposal"),
        **_tree_context(request, incident.category),
    }


def _scored(record: TriageRecord | None, levels: dict) -> list[tuple[str, int, str]]:
    """The recorded levels with the tenant's words for them."""
    if record is None:
        return []
    words = levels_for(levels)
    rows = [
        (DIMENSION_LABELS[name], getattr(record, name), words[name][getattr(record, name) - 1][0])
        for name in DIMENSIONS
    ]
    return [*rows, ("Urgency", record.urgency, URGENCY_LEVELS[record.urgency - 1][0])]


@login_required
@require_http_methods(["GET", "POST"])
def triage_incident(request: HttpRequest, reference: str) -> HttpResponse:
    """The triage step. "Show the proposal" fills severity and priority from the matrix (no
    script needed); "Record the triage" keeps the choice and the rationale."""
    incident = get_incident_for_user(request.user, reference)
    if request.method == "GET":
        return render(request, "triage/incident.html", _triage_context(request, incident))
    may_triage(request.user, incident).enforce(incident, state=incident.status)
    settings = settings_for(incident.organisation_id)
    grid = settings.grid if settings.uses_priority_grid else None
    form = TriageForm(request.POST, levels=settings.levels)
    if "propose" in request.POST:
        form.is_valid()
        scores = {name: form.cleaned_data.get(name) for name in (*DIMENSIONS, "urgency")}
        if not all(scores.values()):
            return render(
                request, "triage/incident.html", _triage_context(request, incident, form), status=INPUT_STATUS
            )
        proposal = propose(scores, scores["urgency"], grid=grid, levels=settings.levels)
        initial = {**scores, "severity": proposal.severity, "priority": proposal.priority}
        initial["rationale"] = request.POST.get("rationale", "")
        proposed = TriageForm(initial=initial, levels=settings.levels)
        return render(request, "triage/incident.html", _triage_context(request, incident, proposed, proposal=proposal))
    recorded = form.is_valid() and attempt(
        form,
        lambda: triage.triage_incident(
            incident=incident,
            actor=request.user,
            scores=form.scores(),
            urgency=form.cleaned_data["urgency"],
            severity=form.cleaned_data["severity"],
            priority=form.cleaned_data["priority"],
            rationale=form.cleaned_data["rationale"],
        ),
    )
    if recorded:
        messages.success(request, f"{incident.reference} triaged.")
        return redirect("triage_incident", reference=reference)
    return render(request, "triage/incident.html", _triage_context(request, incident, form), status=INPUT_STATUS)


@login_required
@require_POST
def triage_priority(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    may_triage(request.user, incident).enforce(incident, state=incident.status)
    form = PriorityForm(request.POST)
    changed = form.is_valid() and attempt(
        form,
        lambda: reprioritisation.change_priority(
            incident=incident,
            actor=request.user,
            priority=form.cleaned_data["priority"],
            reason=form.cleaned_data["reason"],
        ),
    )
    if changed:
        messages.success(request, "Priority changed.")
        return redirect("triage_incident", reference=reference)
    return render(
        request, "triage/incident.html", _triage_context(request, incident, priority_form=form), status=INPUT_STATUS
    )


@login_required
@require_POST
def triage_request(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    may_triage(request.user, incident).enforce(incident, state=incident.status)
    form = ReprioritisationRequestForm(request.POST)
    asked = form.is_valid() and attempt(
        form,
        lambda: reprioritisation.request_change(
            incident=incident,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            to_value=form.cleaned_data["to_value"],
            reason=form.cleaned_data["reason"],
        ),
    )
    if asked:
        messages.success(request, "Asked a manager to approve the change.")
        return redirect("triage_incident", reference=reference)
    return render(
        request, "triage/incident.html", _triage_context(request, incident, request_form=form), status=INPUT_STATUS
    )


@login_required
@require_POST
def triage_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    visible = incidents_visible_to(request.user).values("pk")
    item = (
        ReprioritisationRequest.objects.filter(pk=request_id, incident__in=visible)
        .select_related("incident", "requested_by")
        .first()
    )
    if item is None:
        raise Http404("No such re-prioritisation request.")
    form = DecideForm(request.POST)
    decided = form.is_valid() and attempt(
        form,
        lambda: reprioritisation.decide_request(
            request=item,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        ),
    )
    if decided:
        messages.success(request, f"Decided the change of {item.kind} on {item.incident.reference}.")
    else:
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"Not decided: {errors}")
    return redirect("triage_incident", reference=item.incident.reference)


def _category_for(user: User, category_id: int) -> Category:
    category = Category.objects.filter(organisation_id=user.organisation_id, pk=category_id).first()
    if category is None:
        raise Http404("No such category.")
    return category


@login_required
@require_http_methods(["GET", "POST"])
def decision_tree(request: HttpRequest, category_id: int) -> HttpResponse:
    """Walk a category's decision tree (`?path=0.1`), and, for its custodian, write it. For
    HTMX (the wizard and the triage step), the walk alone."""
    category = _category_for(request.user, category_id)
    keep = may_keep_decision_tree(request.user, category)
    if request.method == "GET" and request.htmx:
        return render(request, "triage/partials/tree_walk.html", _tree_context(request, category))
    context = _tree_context(request, category)
    form = DecisionTreeForm(initial={"source": context["tree"].source if context["tree"] else EXAMPLE_TREE})
    if request.method == "POST":
        keep.enforce(category)
        form = DecisionTreeForm(request.POST)
        saved = form.is_valid() and attempt(
            form,
            lambda: tree_service.save_tree(category=category, actor=request.user, source=form.cleaned_data["source"]),
        )
        if saved:
            messages.success(request, f"Decision tree of {category.code} saved.")
            return redirect("decision_tree", category_id=category.pk)
    return render(
        request, "triage/decision_tree.html", {**context, "form": form, "keep": keep}, status=form_status(form)
    )


EXAMPLE_TREE = """start: Is anyone hurt or in immediate danger?
  yes -> on-call
  no -> stopped
stopped: Has production or a service many depend on stopped?
  yes -> severity SEV-1
  no -> spread
spread: Could it spread beyond one team or area?
  yes -> severity SEV-2
  no -> priority P3
"""


@login_required
@require_http_methods(["GET", "POST"])
def breach_review(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach = get_breach_for_owner(request.user, breach_id)
    if hasattr(breach, "review"):
        return render(request, "triage/breach_review.html", {"breach": breach, "review": breach.review})
    people = list(
        User.objects.filter(organisation_id=request.user.organisation_id, is_active=True).order_by(
            "first_name", "last_name", "username"
        )
    )
    form = BreachReviewForm(request.POST if request.method == "POST" else None, people=people)
    if request.method == "POST":
        saved = form.is_valid() and attempt(
            form,
            lambda: breach_reviews.review_breach(
                breach=breach,
                actor=request.user,
                cause=form.cleaned_data["cause"],
                account=form.cleaned_data["account"],
                actions=form.cleaned_data["actions"],
            ),
        )
        if saved:
            messages.success(request, "Post-mortem recorded.")
            return redirect("triage_home")
    return render(request, "triage/breach_review.html", {"breach": breach, "form": form}, status=form_status(form))


@login_required
@require_GET
def breach_trend_page(request: HttpRequest) -> HttpResponse:
    decision = may_read_breach_trend(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)
    return render(request, "triage/breach_trend.html", {"trend": breach_trend(request.user.organisation_id)})
