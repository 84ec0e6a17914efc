"""Forms of the integrations pages; choices are the admin's own tenant's rows only."""

from __future__ import annotations

from typing import Any

from django import forms

from incidents.choices import IncidentKind, Severity
from incidents.integrations.choices import SourceKind, WebhookEventType
from incidents.models import Category
from organogram.models import OrgUnit


class TenantChoicesMixin:
    def limit_to_tenant(self, tenant_id: int) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        if "category" in fields:
            fields["category"].queryset = Category.objects.for_tenant(tenant_id).filter(is_active=True).order_by("code")
        if "unit" in fields:
            fields["unit"].queryset = OrgUnit.objects.for_tenant(tenant_id).order_by("name")


class SourceForm(TenantChoicesMixin, forms.Form):
    name = forms.CharField(max_length=100, help_text="E.g. 'RADAM shaft 2'.")
    kind = forms.ChoiceField(choices=SourceKind.choices, label="Kind of source")
    category = forms.ModelChoiceField(queryset=Category.objects.none(), help_text="When no rule matches.")
    incident_kind = forms.ChoiceField(
        choices=IncidentKind.choices, initial=IncidentKind.INCIDENT, label="Kind of incident"
    )
    unit = forms.ModelChoiceField(
        queryset=OrgUnit.objects.none(), required=False, help_text="Where its events happen (empty: the top unit)."
    )

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limit_to_tenant(tenant_id)


class RuleForm(TenantChoicesMixin, forms.Form):
    order = forms.IntegerField(min_value=0, initial=100)
    match_event_type = forms.CharField(max_length=100, required=False, label="When the event type is")
    match_severity = forms.ChoiceField(
        choices=[("", "any severity"), *Severity.choices], required=False, label="When the severity is"
    )
    match_field = forms.CharField(max_length=100, required=False, label="When payload field")
    match_value = forms.CharField(max_length=200, required=False, label="equals")
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, label="Category")
    incident_kind = forms.ChoiceField(
        choices=[("", "the source's"), *IncidentKind.choices], required=False, label="Kind"
    )
    severity = forms.ChoiceField(choices=[("", "the event's"), *Severity.choices], required=False, label="Severity")
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), required=False, label="Unit")
    threshold_count = forms.IntegerField(min_value=1, initial=1, label="Incident after this many events")
    threshold_window_seconds = forms.IntegerField(min_value=1, initial=300, label="within (seconds)")
    suppress = forms.BooleanField(required=False, label="Suppress (keep the events, create nothing)")

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limit_to_tenant(tenant_id)


class PauseForm(forms.Form):
    until = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: resume now.",
    )


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=500, assume_scheme="https", label="URL")
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple, label="Event types"
    )
