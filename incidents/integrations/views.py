"""The tenant admin's integrations pages: register sources (a token shown once), keep their
mapping rules, pause them, issue tokens; subscribe webhooks, read their delivery log and
re-send a delivery."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incidents.integrations import selectors
from incidents.integrations.forms import PauseForm, RuleForm, SourceForm, WebhookForm
from incidents.integrations.models import MappingRule
from incidents.integrations.policy import may_manage_integrations
from incidents.integrations.services import sources, webhooks
from iwms.models import User
from iwms.refusals import attempt, form_status


def _admin(request: HttpRequest) -> User:
    decision = may_manage_integrations(request.user)
    if not decision:
        raise PermissionDenied(decision.reason)
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = SourceForm(request.POST or None, tenant_id=user.organisation_id)
    if request.method == "POST" and form.is_valid():
        made: dict[str, Any] = {}

        def register() -> None:
            made["source"], made["token"] = sources.register_source(actor=user, **form.cleaned_data)

        if attempt(form, register):
            return _source_page(request, user, made["source"], new_token=made["token"])
    context = {"sources": selectors.sources_for(user), "form": form}
    return render(request, "integrations/source_list.html", context, status=form_status(form))


def _source_page(
    request: HttpRequest,
    user: User,
    source: Any,
    *,
    new_token: str = "",
    rule_form: RuleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "source": source,
        "rules": selectors.rules_of(source),
        "tokens": selectors.tokens_of(source),
        "events": selectors.recent_events(source),
        "rule_form": rule_form or RuleForm(tenant_id=user.organisation_id),
        "pause_form": PauseForm(),
        "new_token": new_token,
    }
    return render(request, "integrations/source_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    user = _admin(request)
    source = selectors.get_source_for(user, source_id)
    if request.method == "GET":
        return _source_page(request, user, source)
    action = request.POST.get("action", "")
    if action == "token":
        _, raw = sources.issue_source_token(source=source, actor=user)
        return _source_page(request, user, source, new_token=raw)
    if action == "pause":
        form = PauseForm(request.POST)
        if form.is_valid():
            sources.pause_source(source=source, actor=user, until=form.cleaned_data["until"])
            messages.success(request, "Pause saved.")
        else:
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("integrations_source", source_id=source.pk)
    if action == "remove_rule":
        rule = MappingRule.objects.filter(source=source, pk=request.POST.get("rule", "0") or 0).first()
        if rule is not None:
            sources.remove_rule(rule=rule, actor=user)
            messages.success(request, "Rule removed.")
        return redirect("integrations_source", source_id=source.pk)
    form = RuleForm(request.POST, tenant_id=user.organisation_id)
    if form.is_valid() and attempt(form, lambda: sources.add_rule(source=source, actor=user, **_rule_values(form))):
        messages.success(request, "Rule added.")
        return redirect("integrations_source", source_id=source.pk)
    return _source_page(request, user, source, rule_form=form, status=422)


def _rule_values(form: RuleForm) -> dict[str, Any]:
    values = dict(form.cleaned_data)
    for name in ("match_severity", "incident_kind", "severity"):
        values[name] = values[name] or ""
    return values


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = WebhookForm(request.POST or None) if request.POST.get("action") in (None, "subscribe") else WebhookForm()
    new_secret = ""
    if request.method == "POST":
        action = request.POST.get("action", "subscribe")
        if action in ("enable", "disable"):
            endpoint = selectors.get_endpoint_for(user, _int(request.POST.get("endpoint")))
            webhooks.set_endpoint_active(endpoint=endpoint, active=action == "enable", actor=user)
            messages.success(request, f"Webhook {action}d.")
            return redirect("integrations_webhooks")
        if action == "resend":
            delivery = selectors.get_delivery_for(user, _int(request.POST.get("delivery")))
            webhooks.resend(delivery=delivery, actor=user)
            messages.success(request, f"Delivery {delivery.pk} re-sent.")
            return redirect("integrations_webhooks")
        made: dict[str, Any] = {}

        def subscribe() -> None:
            made["endpoint"] = webhooks.subscribe(tenant=user.organisation, actor=user, **form.cleaned_data)

        if form.is_valid() and attempt(form, subscribe):
            new_secret = made["endpoint"].secret
            form = WebhookForm()
    context = {
        "endpoints": selectors.endpoints_for(user),
        "deliveries": selectors.recent_deliveries(user),
        "form": form,
        "new_secret": new_secret,
    }
    return render(request, "integrations/webhook_list.html", context, status=form_status(form))


def _int(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else 0
