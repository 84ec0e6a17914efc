"""Merge (from the managed incident list or the incident page), split and un-merge pages, and
the controls panel every incident page shows: lineage both ways, the banner of a merged
incident, and the actions the person may take."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from arc.cross_tenant import not_found
from incidents.choices import FINAL_STATUSES, IncidentStatus
from incidents.controls.forms import KnownGapForm, MergeForm, ResolveGapForm, SplitForm, UnmergeForm
from incidents.controls.models import KnownGap
from incidents.controls.policy import may_control, may_note_gap, may_split, may_unmerge
from incidents.controls.selectors import lineage_of, split_choices
from incidents.controls.services import gaps
from incidents.controls.services import merge as merging
from incidents.controls.services.split import split_incident
from incidents.core.navigation import navigation_for
from incidents.core.selectors import get_incident_for_user, incidents_visible_to
from incidents.intake.selectors import duplicates_of
from incidents.models import Incident
from iwms.refusals import attempt, form_status

PANEL_TEMPLATE = "controls/panel.html"
MERGE_REFUSAL = "Merging is for people who own incidents or supervise someone."


def panel_context(request: HttpRequest, incident: Incident, unmerge_form: UnmergeForm | None = None) -> dict[str, Any]:
    lineage = lineage_of(incident)
    live = incident.status not in FINAL_STATUSES
    context = {"incident": incident, "lineage": lineage, "merged_from": request.GET.get("merged_from", "")}
    context["control"] = may_control(request.user, [incident]) if live else None
    context["gaps"] = [gap for gap in incident.known_gaps.all() if gap.resolved_at is None]
    context["may_note_gap"] = may_note_gap(request.user, incident)
    context["gap_form"] = KnownGapForm()
    context["resolve_form"] = ResolveGapForm()
    # Likely duplicates, right after detection, with a merge one click away (seed 002 §12.1).
    # Not the incidents it is already related to by a split or its parent.
    related = {incident.parent_id, *(split.target_id for split in lineage.split_into)}
    if lineage.split_from is not None:
        related.add(lineage.split_from.source_id)
    candidates = duplicates_of(incident) if context["control"] else []
    context["duplicates"] = [c for c in candidates if c.incident.pk not in related]
    if lineage.merged_into is not None:
        context["unmerge"] = may_unmerge(request.user, incident, lineage.merged_into.target)
        context["unmerge_form"] = unmerge_form or UnmergeForm()
    return context


def merged_redirect(request: HttpRequest, incident: Incident) -> HttpResponse | None:
    """A merged incident's page sends the reader to its primary, with a banner there; with
    `?record=1` it shows the merged incident's own record (anchors, timeline, un-merge)."""
    if incident.status != IncidentStatus.MERGED or request.GET.get("record"):
        return None
    lineage = lineage_of(incident).merged_into
    if lineage is None:
        return None
    primary = reverse("incident_detail", args=[lineage.target.reference])
    return redirect(f"{primary}?{urlencode({'merged_from': incident.reference})}")


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest) -> HttpResponse:
    if not navigation_for(request).managed_incidents:
        raise PermissionDenied(MERGE_REFUSAL)
    if request.method == "POST":
        form = MergeForm(request.POST, user=request.user)
        if form.is_valid() and attempt(
            form,
            lambda: merging.merge_incidents(
                primary=form.primary_incident,
                others=form.others,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            ),
        ):
            merged = ", ".join(i.reference for i in form.others)
            messages.success(request, f"Merged {merged} into {form.primary_incident.reference}; the checks passed.")
            return redirect("incident_detail", form.primary_incident.reference)
        chosen = form.incidents
    else:
        references = request.GET.getlist("incidents")
        primary = request.GET.get("primary", "") or (references[0] if references else "")
        if primary and primary not in references:
            references.insert(0, primary)
        form = MergeForm(initial={"references": " ".join(references), "primary": primary}, user=request.user)
        chosen = list(incidents_visible_to(request.user).filter(reference__in=references).order_by("reported_at"))
    return render(request, "controls/merge.html", {"form": form, "chosen": chosen}, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def split(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    may_split(request.user, incident).enforce(incident, state=incident.status)
    choices = split_choices(incident)
    form = SplitForm(request.POST if request.method == "POST" else None, choices=choices)
    made: dict[str, Incident] = {}

    def split_it() -> None:
        made["derived"] = split_incident(
            incident=incident,
            actor=request.user,
            title=form.cleaned_data["title"],
            reason=form.cleaned_data["reason"],
            pole_ids=form.cleaned_data.get("pole_entities", []),
            evidence_ids=form.cleaned_data.get("evidence", []),
            step_ids=form.cleaned_data.get("steps", []),
        )

    if request.method == "POST" and form.is_valid() and attempt(form, split_it):
        messages.success(request, f"{made['derived'].reference} was split out of {incident.reference}.")
        return redirect("incident_detail", made["derived"].reference)
    return render(request, "controls/split.html", {"incident": incident, "form": form}, status=form_status(form))


@login_required
@require_POST
def unmerge(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    lineage = lineage_of(incident).merged_into
    may_unmerge(request.user, incident, lineage.target if lineage else None).enforce(incident, state=incident.status)
    form = UnmergeForm(request.POST)
    if form.is_valid() and attempt(
        form,
        lambda: merging.unmerge_incident(merged=incident, actor=request.user, reason=form.cleaned_data["reason"]),
    ):
        messages.success(request, f"{incident.reference} is its own incident again.")
        return redirect("incident_detail", incident.reference)
    context = {**panel_context(request, incident, unmerge_form=form), "standalone": True}
    return render(request, "controls/unmerge.html", context, status=form_status(form))


@login_required
@require_POST
def known_gap(request: HttpRequest, reference: str) -> HttpResponse:
    """Record that a telemetry or evidence source is unavailable (seed 002 §12.5)."""
    incident = get_incident_for_user(request.user, reference)
    may_note_gap(request.user, incident).enforce(incident, state=incident.status)
    form = KnownGapForm(request.POST)
    if form.is_valid() and attempt(
        form, lambda: gaps.record_known_gap(incident=incident, actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, f"The gap in {form.cleaned_data['source']} is on record and escalated.")
        return redirect("incident_detail", incident.reference)
    return render(request, "controls/gap.html", {"incident": incident, "form": form}, status=form_status(form))


@login_required
@require_POST
def known_gap_resolve(request: HttpRequest, reference: str, gap_id: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    gap = KnownGap.objects.filter(incident=incident, pk=gap_id).first()
    if gap is None:
        raise not_found(request.user, KnownGap, "No such gap.", pk=gap_id)
    may_note_gap(request.user, incident).enforce(incident, state=incident.status)
    form = ResolveGapForm(request.POST)
    if form.is_valid() and attempt(
        form, lambda: gaps.resolve_known_gap(gap=gap, actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, f"The gap in {gap.source} is closed.")
        return redirect("incident_detail", incident.reference)
    return render(request, "controls/gap.html", {"incident": incident, "form": form}, status=form_status(form))
