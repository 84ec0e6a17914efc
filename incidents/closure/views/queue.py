"""The supervisor's closure queue and the decision page of one incident pending closure.

The queue answers an HTMX request (filters, pages) with its list fragment. Decisions are
plain form posts: a refusal naming a field comes back next to it with the typed text kept
(422); a decision taken redirects to the queue with a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any, TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from incidents.choices import Severity
from incidents.closure.closeout import close_out
from incidents.closure.forms import ChecklistForm, EvidenceRequestForm, MismatchForm, QueueFilterForm, RejectForm
from incidents.closure.selectors import LatestReview, closure_queue_page
from incidents.closure.services import closure, mismatches
from incidents.core.policy import may_decide_closure
from incidents.core.selectors import get_incident_for_user
from incidents.intake.services.intake import time_left
from incidents.models import ClosureDecision, Incident
from incidents.work.services import execution as work
from iwms.refusals import INPUT_STATUS, attempt
from iwms.replica import reads_from_replica
from iwms.request_input import page_number
from workflows.choices import Verdict
from workflows.selectors import latest_review, steps_with_evidence

PAGE_SIZE = 25
REFERENCE_SLOT = "REFERENCE-SLOT"
DECISION_TEMPLATE = "incidents/queue/closure_detail.html"


class QueueRow(TypedDict):
    """What one row of the queue shows, as text; `row_html` places it."""

    reference: str
    title: str
    category: str
    severity: str
    severity_label: str
    escalated: bool
    resolve_by: str
    time_left: str
    responsible: str
    verdict: str
    review_sequence: int | None
    findings: list[str]
    decide_url: str
    work_url: str


SEVERITY_LABELS = dict(Severity.choices)
VERDICT_LABELS = dict(Verdict.choices)


# One row of the queue's table. Written here rather than in the template: the page lists 25
# rows of a dozen values, and the template engine's cost per value was a large share of the
# page's time, where filling one string costs next to nothing. Every value is escaped.
ROW_HTML = """      <tr data-testid="queue-row" data-reference="{reference}">
        <td><a href="{decide_url}"><strong>{reference}</strong></a> {title}
          <br><small class="muted">{category}</small>{escalated}</td>
        <td><span class="badge sev-{severity}">{severity_label}</span></td>
        <td>{resolve_by}<br><small class="muted">{time_left}</small></td>
        <td>{responsible}</td>
        <td data-testid="queue-review">{review}</td>
        <td><a href="{decide_url}" role="button" data-testid="decide">Decide</a><br>
          <small><a href="{work_url}">Steps and evidence</a></small></td>
      </tr>
"""
ESCALATED_HTML = ' <span class="badge warn">escalated to you</span>'
REVIEW_HTML = '{verdict} <small class="muted">(review {sequence})</small>\n            {findings}\n          '
NO_FINDINGS_HTML = '<br><small class="muted">no findings</small>'
NOT_REVIEWED_HTML = '<span class="muted">not reviewed</span>'


def row_html(row: QueueRow) -> SafeString:
    """The table row of `row`, as HTML."""
    if not row["verdict"]:
        review = NOT_REVIEWED_HTML
    else:
        findings = "".join(f"<li>{escape(message)}</li>" for message in row["findings"])
        review = REVIEW_HTML.format(
            verdict=escape(row["verdict"]),
            sequence=row["review_sequence"],
            findings=f'<ul class="findings-list">{findings}</ul>' if findings else NO_FINDINGS_HTML,
        )
    text = {
        name: escape(str(row[name]))
        for name in (
            "reference",
            "title",
            "category",
            "severity",
            "severity_label",
            "resolve_by",
            "time_left",
            "responsible",
            "decide_url",
            "work_url",
        )
    }
    html = ROW_HTML.format(**text, escalated=ESCALATED_HTML if row["escalated"] else "", review=review)
    return mark_safe(html)  # noqa: S308 - every value escaped above


def _findings(review: LatestReview | None) -> list[dict[str, Any]]:
    if review is None:
        return []
    findings = review["findings"]
    # SQLite nests a JSON column inside JSON_OBJECT as text; PostgreSQL nests the value.
    return json.loads(findings) if isinstance(findings, str) else findings


def queue_row(values: dict[str, Any], *, decide_url: str, work_url: str) -> QueueRow:
    """A row of the queue from the values `closure_queue_for` reads."""
    due = timezone.localtime(values["resolve_due_at"]) if values["resolve_due_at"] else None
    review: LatestReview | None = values["latest_review"]
    name = f"{values['responsible__first_name']} {values['responsible__last_name']}".strip()
    return {
        "reference": values["reference"],
        "title": values["title"],
        "category": values["category__name"],
        "severity": values["severity"],
        "severity_label": SEVERITY_LABELS.get(values["severity"], values["severity"]),
        "escalated": bool(values["escalated_to_me"]),
        "resolve_by": f"{due:%a} {due.day} {due:%b, %H:%M}" if due else "—",
        "time_left": time_left(values["resolve_due_at"]),
        "responsible": name or values["responsible__username"],
        "verdict": VERDICT_LABELS.get(review["verdict"], review["verdict"]) if review else "",
        "review_sequence": review["sequence"] if review else None,
        "findings": [finding["message"] for finding in _findings(review)],
        "decide_url": decide_url,
        "work_url": work_url,
    }


def _page(request: HttpRequest, filters: dict[str, Any], raw_number: str | None) -> Page:
    """The page asked for (the first when unreadable, the last when past the end), read
    with its count in one query: every row carries the queue's length."""
    number = page_number(raw_number)
    rows, number, total = closure_queue_page(request.user, number=number, size=PAGE_SIZE, **filters)
    paginator = Paginator(range(total), PAGE_SIZE)  # the count is known: Paginator need not ask
    return Page(rows, number, paginator)


@login_required
@require_GET
@reads_from_replica
def closure_queue(request: HttpRequest) -> HttpResponse:
    if request.user.organisation_id is None:
        raise Http404("The closure queue belongs to an organisation.")
    form = QueueFilterForm(request.GET or None, tenant_id=request.user.organisation_id)
    page = _page(request, form.filters(), request.GET.get("page"))
    request.closure_queue_visible = page.paginator.count > 0  # the navigation need not ask again
    # One reverse per link kind, not per row: the page lists 25 rows of three links each.
    decide_url, work_url = (reverse(name, args=[REFERENCE_SLOT]) for name in ("closure_decision", "incident_work"))
    rows = [
        row_html(
            queue_row(
                values,
                decide_url=decide_url.replace(REFERENCE_SLOT, values["reference"]),
                work_url=work_url.replace(REFERENCE_SLOT, values["reference"]),
            )
        )
        for values in page.object_list
    ]
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "filters": filters.urlencode()}
    if not request.htmx:
        context["filter_fields"] = form.with_options()
    template = "incidents/queue/partials/closure_rows.html" if request.htmx else "incidents/queue/closure_list.html"
    return render(request, template, context)


def _decision_context(request: HttpRequest, incident: Incident, **forms: Any) -> dict[str, Any]:
    right = may_decide_closure(request.user, incident)
    run = work.workflow_of(incident)
    steps = steps_with_evidence(run) if run else []
    review = latest_review(run) if run else None
    findings_open = review is None or review.verdict != Verdict.SATISFIED
    summary = close_out(steps)
    decisions = (
        ClosureDecision.objects.filter(incident=incident)
        .select_related("decider", "decider_position", "spawned_incident")
        .order_by("-created_at", "-id")
    )
    return {
        "incident": incident,
        "right": right,
        "steps": [
            {"step": step, "valid_evidence": [item for item in step.evidence.all() if item.is_valid]} for step in steps
        ],
        "close_out": summary,
        "review": review,
        "findings_open": findings_open,
        "decisions": decisions,
        "mismatch": mismatches.open_mismatch_of(incident),
        "time_left": time_left(incident.resolve_due_at),
        # Drafted from the close-out summary; the decider checks and edits every item.
        "checklist_form": forms.get("checklist_form") or ChecklistForm(initial=summary.draft),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "evidence_form": forms.get("evidence_form") or EvidenceRequestForm(steps=steps),
        "mismatch_form": forms.get("mismatch_form") or MismatchForm(),
        "open_form": forms.get("open_form", ""),
    }


@login_required
@require_GET
def closure_decision(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    return render(request, DECISION_TEMPLATE, _decision_context(request, incident))


def _decide(
    request: HttpRequest,
    reference: str,
    *,
    form_name: str,
    build_form: Callable[[Incident], Any],
    call: Callable[[Incident, Any], ClosureDecision],
    done: Callable[[ClosureDecision], str],
) -> HttpResponse:
    """Check the right to decide, validate the form, call the service, answer."""
    incident = get_incident_for_user(request.user, reference)
    may_decide_closure(request.user, incident).enforce(incident, state=incident.status)
    form = build_form(incident)
    decided: list[ClosureDecision] = []
    if form.is_valid() and attempt(form, lambda: decided.append(call(incident, form))):
        messages.success(request, done(decided[0]))
        return redirect("closure_queue")
    context = _decision_context(request, incident, **{form_name: form, "open_form": form_name})
    return render(request, DECISION_TEMPLATE, context, status=INPUT_STATUS)


@login_required
@require_POST
def closure_approve(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(
        request,
        reference,
        form_name="checklist_form",
        build_form=lambda incident: ChecklistForm(request.POST),
        call=lambda incident, form: closure.approve_closure(
            incident=incident, actor=request.user, checklist=form.checklist()
        ),
        done=lambda decision: f"{decision.incident.reference} closed: closure approved with the checklist.",
    )


@login_required
@require_POST
def closure_override(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(
        request,
        reference,
        form_name="checklist_form",
        build_form=lambda incident: ChecklistForm(request.POST),
        call=lambda incident, form: closure.override_review(
            incident=incident,
            actor=request.user,
            checklist=form.checklist(),
            justification=form.cleaned_data["justification"],
        ),
        done=lambda decision: f"{decision.incident.reference} closed: the review's findings were overridden.",
    )


@login_required
@require_POST
def closure_reject(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(
        request,
        reference,
        form_name="reject_form",
        build_form=lambda incident: RejectForm(request.POST),
        call=lambda incident, form: closure.reject_closure(
            incident=incident, actor=request.user, instructions=form.cleaned_data["instructions"]
        ),
        done=lambda decision: (
            f"{decision.incident.reference} rejected: a corrective workflow went to {decision.incident.responsible}."
        ),
    )


def _main_steps(incident: Incident) -> list[Any]:
    run = work.workflow_of(incident)
    return list(run.steps.order_by("position")) if run else []


@login_required
@require_POST
def closure_more_evidence(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(
        request,
        reference,
        form_name="evidence_form",
        build_form=lambda incident: EvidenceRequestForm(request.POST, steps=_main_steps(incident)),
        call=lambda incident, form: closure.request_more_evidence(
            incident=incident, actor=request.user, items=form.items()
        ),
        done=lambda decision: (
            f"{decision.incident.reference}: more evidence requested from {decision.incident.responsible}."
        ),
    )


@login_required
@require_POST
def closure_mismatch(request: HttpRequest, reference: str) -> HttpResponse:
    return _decide(
        request,
        reference,
        form_name="mismatch_form",
        build_form=lambda incident: MismatchForm(request.POST),
        call=lambda incident, form: mismatches.report_organogram_mismatch(
            incident=incident, actor=request.user, note=form.cleaned_data["note"]
        ),
        done=lambda decision: (
            f"{decision.incident.reference}: organogram mismatch reported; "
            f"{decision.spawned_incident.reference} goes to {decision.spawned_incident.responsible}."
        ),
    )
