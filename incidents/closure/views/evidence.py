"""Invalidating evidence from the work page: the evidence goes, and what relied on it goes back
through the closure rules of the incident's state (`closure.services.invalidation`). The
answer is the work page's own (`work.views.work.after_step_action`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from incidents.closure.services import invalidation
from incidents.core.selectors import get_incident_for_user
from incidents.work.forms import InvalidateForm
from incidents.work.selectors import get_evidence_for_user
from incidents.work.views.work import after_step_action
from iwms.refusals import form_refusal


@login_required
@require_POST
def evidence_invalidate(request: HttpRequest, reference: str, evidence_id: int) -> HttpResponse:
    incident = get_incident_for_user(request.user, reference)
    item = get_evidence_for_user(request.user, incident, evidence_id)
    form = InvalidateForm(request.POST, prefix=f"e{item.pk}")
    if not form.is_valid():
        raise form_refusal(form, item)
    invalidation.invalidate_evidence(
        incident=incident, evidence=item, actor=request.user, reason=form.cleaned_data["reason"]
    )
    return after_step_action(request, incident, item.step_id)
