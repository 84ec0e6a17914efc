"""The response page of an incident (roles, moments, notes, communications), the message
composer, the internal status page and the person's own response roles."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.models import Incident
from incidents.response.choices import Audience
from incidents.response.forms import DeclineForm, MessageForm, MomentForm, NoteEditForm, NoteForm, RoleForm
from incidents.response.gating import review_problems
from incidents.response.models import IncidentNote, RoleAssignment
from incidents.response.policy import may_assign_role, may_communicate, may_edit_note, may_respond
from incidents.response.selectors import get_incident_for_responder, my_role_assignments, response_state
from incidents.response.services import comms, moments, notes, roles
from iwms.refusals import attempt, form_status


def _page(request: HttpRequest, incident: Incident, status: int = 200, **forms: Any) -> HttpResponse:
    tenant_id = incident.organisation_id
    context = {
        **response_state(incident),
        "role_form": forms.get("role_form") or RoleForm(tenant_id=tenant_id),
        "note_form": forms.get("note_form") or NoteForm(),
        "moment_form": forms.get("moment_form") or MomentForm(),
        "may_respond": may_respond(request.user, incident),
        "may_communicate": may_communicate(request.user, incident),
        "closure_problems": review_problems(incident),
    }
    return render(request, "response/incident_response.html", context, status=status)


def _done(request: HttpRequest, incident: Incident, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    return redirect(reverse("response_incident", args=[incident.reference]) + anchor)


@login_required
@require_GET
def response_incident(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, get_incident_for_responder(request.user, reference))


@login_required
@require_POST
def response_role(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_responder(request.user, reference)
    form = RoleForm(request.POST, tenant_id=incident.organisation_id)
    may_assign_role(request.user, incident, request.POST.get("role", "")).enforce(incident)
    if form.is_valid() and attempt(
        form,
        lambda: roles.assign_role(
            incident=incident,
            role=form.cleaned_data["role"],
            holder=form.cleaned_data["holder"],
            actor=request.user,
            note=form.cleaned_data["note"],
        ),
    ):
        return _done(request, incident, "Role designated or handed over.", "#roles")
    return _page(request, incident, form_status(form), role_form=form)


@login_required
@require_POST
def response_note(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_responder(request.user, reference)
    may_respond(request.user, incident).enforce(incident)
    form = NoteForm(request.POST)
    if form.is_valid() and attempt(
        form,
        lambda: notes.add_note(
            incident=incident, actor=request.user, text=form.cleaned_data["text"], kind=form.cleaned_data["kind"]
        ),
    ):
        return _done(request, incident, "Note added to the log.", "#notes")
    return _page(request, incident, form_status(form), note_form=form)


@login_required
@require_POST
def response_note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_object_or_404(IncidentNote, pk=note_id, organisation_id=request.user.organisation_id)
    incident = get_incident_for_responder(request.user, note.incident.reference)
    form = NoteEditForm(request.POST)
    may_edit_note(request.user, note).enforce(note)
    if form.is_valid() and attempt(
        form, lambda: notes.edit_note(note=note, actor=request.user, text=form.cleaned_data["text"])
    ):
        return _done(request, incident, "Note corrected.", "#notes")
    messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return _page(request, incident, 422)


@login_required
@require_POST
def response_moment(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_incident_for_responder(request.user, reference)
    may_respond(request.user, incident).enforce(incident)
    form = MomentForm(request.POST)
    if form.is_valid() and attempt(
        form,
        lambda: moments.record_moment(
            incident=incident, moment=form.cleaned_data["moment"], actor=request.user, at=form.cleaned_data["at"]
        ),
    ):
        return _done(request, incident, "Moment recorded.", "#moments")
    return _page(request, incident, form_status(form), moment_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def response_message(request: HttpRequest, reference: str) -> HttpResponse:
    """Compose an update: the template for the chosen kind of message, filled in from the
    incident, edited, then sent to the chosen groups."""
    incident = get_incident_for_responder(request.user, reference)
    may_communicate(request.user, incident).enforce(incident)
    tenant_id = incident.organisation_id
    if request.method == "POST":
        form = MessageForm(request.POST, tenant_id=tenant_id)
        if form.is_valid() and attempt(
            form,
            lambda: comms.send_message(
                incident=incident,
                actor=request.user,
                audience=form.cleaned_data["audience"],
                groups=list(form.cleaned_data["groups"]),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            ),
        ):
            return _done(request, incident, "Update sent and recorded.", "#communications")
    else:
        audience = request.GET.get("audience", Audience.INTERNAL_TECHNICAL)
        audience = audience if audience in Audience.values else Audience.INTERNAL_TECHNICAL
        template = comms.template_for(incident, audience)
        initial = {"audience": audience}
        if template is not None:
            initial |= {"subject": comms.fill(template.subject, incident), "body": comms.fill(template.body, incident)}
        form = MessageForm(initial=initial, tenant_id=tenant_id)
    context = {
        "incident": incident,
        "form": form,
        "audiences": Audience.choices,
        "record": response_state(incident)["record"],
    }
    return render(request, "response/message_form.html", context, status=form_status(form))


@login_required
@require_GET
def response_status(request: HttpRequest, reference: str) -> HttpResponse:
    """The internal status page: one place where readers find where the incident stands."""
    incident = get_incident_for_responder(request.user, reference)
    state = response_state(incident)
    state["updates"] = [c for c in reversed(state["communications"])]
    return render(request, "response/status_page.html", state)


@login_required
@require_GET
def response_my_roles(request: HttpRequest) -> HttpResponse:
    return render(request, "response/my_roles.html", {"assignments": list(my_role_assignments(request.user))})


def _assignment(request: HttpRequest, assignment_id: int) -> RoleAssignment:
    return get_object_or_404(RoleAssignment.objects.select_related("incident"), pk=assignment_id, holder=request.user)


@login_required
@require_POST
def response_handover_accept(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = roles.accept_handover(assignment=_assignment(request, assignment_id), actor=request.user)
    messages.success(request, f"You hold the role on {assignment.incident.reference} now.")
    return redirect("response_incident", reference=assignment.incident.reference)


@login_required
@require_POST
def response_handover_decline(request: HttpRequest, assignment_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    roles.decline_handover(assignment=_assignment(request, assignment_id), actor=request.user, reason=reason)
    messages.success(request, "Hand-over declined; the current holder keeps the role.")
    return redirect("response_my_roles")
