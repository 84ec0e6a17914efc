"""The post-incident review page of an incident and the searchable list of reviews with the
response KPIs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.core.policy import may_report
from incidents.response.forms import ActionItemForm, ReviewForm
from incidents.response.gating import review_problems
from incidents.response.models import ActionItem, PostIncidentReview
from incidents.response.models.review import ANALYSIS_FIELDS
from incidents.response.policy import may_accept_review, may_write_review
from incidents.response.selectors import get_incident_for_responder, response_kpis, reviews_for
from incidents.response.services import review as reviews
from iwms.errors import PolicyError
from iwms.refusals import attempt, form_status, place_on_form, record_refusal


def _review(request: HttpRequest, reference: str) -> PostIncidentReview:
    incident = get_incident_for_responder(request.user, reference)
    return get_object_or_404(PostIncidentReview.objects.select_related("owner", "incident"), incident=incident)


def _page(request: HttpRequest, review: PostIncidentReview, status: int = 200, **forms: Any) -> HttpResponse:
    initial = {"depth": review.depth, **{name: getattr(review, name) for name in ANALYSIS_FIELDS}}
    context = {
        "review": review,
        "incident": review.incident,
        "form": forms.get("form") or ReviewForm(initial=initial),
        "item_form": forms.get("item_form") or ActionItemForm(tenant_id=review.organisation_id),
        "items": list(review.action_items.select_related("owner")),
        "may_write": may_write_review(request.user, review),
        "may_accept": may_accept_review(request.user, review),
        "closure_problems": review_problems(review.incident),
    }
    return render(request, "response/review_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def response_review(request: HttpRequest, reference: str) -> HttpResponse:
    """The review: read by anyone who sees the incident, written by its owner and the
    responders (saving), submitted with every section written."""
    review = _review(request, reference)
    if request.method == "GET":
        return _page(request, review)
    may_write_review(request.user, review).enforce(review)
    form = ReviewForm(request.POST)
    submit = "submit" in request.POST
    if form.is_valid() and attempt(
        form, lambda: reviews.save_review(review=review, actor=request.user, **form.cleaned_data)
    ):
        review.refresh_from_db()
        if not submit:
            messages.success(request, "Review saved.")
            return redirect("response_review", reference=reference)
        try:
            reviews.submit_review(review=review, actor=request.user)
        except PolicyError as exc:
            record_refusal(exc, actor=request.user)
            place_on_form(form, exc)
        else:
            messages.success(request, "Review submitted for acceptance by the incident's owner.")
            return redirect("response_review", reference=reference)
    return _page(request, review, form_status(form), form=form)


@login_required
@require_POST
def response_review_accept(request: HttpRequest, reference: str) -> HttpResponse:
    review = _review(request, reference)
    reviews.accept_review(review=review, actor=request.user)
    messages.success(request, "Review accepted.")
    return redirect("response_review", reference=reference)


@login_required
@require_POST
def response_action_add(request: HttpRequest, reference: str) -> HttpResponse:
    review = _review(request, reference)
    may_write_review(request.user, review).enforce(review)
    form = ActionItemForm(request.POST, tenant_id=review.organisation_id)
    if form.is_valid() and attempt(
        form, lambda: reviews.add_action_item(review=review, actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, "Action item added.")
        return redirect("response_review", reference=reference)
    return _page(request, review, form_status(form), item_form=form)


@login_required
@require_POST
def response_action_done(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(
        ActionItem.objects.select_related("review__incident"), pk=item_id, organisation_id=request.user.organisation_id
    )
    get_incident_for_responder(request.user, item.review.incident.reference)
    reviews.complete_action_item(item=item, actor=request.user)
    messages.success(request, "Action item done.")
    return redirect("response_review", reference=item.review.incident.reference)


@login_required
@require_GET
def response_reviews(request: HttpRequest) -> HttpResponse:
    """Every review the person may see, searchable, with the tenant's response KPIs."""
    query = request.GET.get("q", "").strip()[:100]
    context = {
        "reviews": list(reviews_for(request.user, query)[:200]),
        "query": query,
        # the tenant's own people see its figures; auditors and regulators read through grants
        "kpis": response_kpis(request.user.organisation_id) if may_report(request.user) else None,
    }
    return render(request, "response/review_list.html", context)
