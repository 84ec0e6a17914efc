"""The forms of problem management. They only shape input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from incidents.models import Category
from incidents.problems.choices import DetectionSource, ProblemStatus

TEXTAREA = forms.Textarea(attrs={"rows": 4})


class ProblemForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=TEXTAREA, help_text="What fails, where, and how often.")
    category = forms.ModelChoiceField(queryset=Category.objects.none(), empty_label="Choose a category")
    detection_source = forms.ChoiceField(choices=DetectionSource.choices, label="How it was detected")
    similar_confirmed = forms.BooleanField(
        required=False,
        label="I have read the similar problems listed, and this is a different one",
    )

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = (
            Category.objects.for_tenant(tenant_id).filter(is_active=True).order_by("code")
        )
        self.fields["category"].label_from_instance = lambda c: f"{c.code} · {c.name}"


class FilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *ProblemStatus.choices], required=False)
    known_errors = forms.BooleanField(required=False, label="Known errors only")
    q = forms.CharField(required=False, max_length=200, label="Words")


class WorkaroundForm(forms.Form):
    workaround = forms.CharField(widget=TEXTAREA, help_text="Published in the known-error register.")


class ResolveForm(forms.Form):
    root_cause = forms.CharField(widget=TEXTAREA, label="Root cause")
    resolution = forms.CharField(widget=TEXTAREA, label="Fix and evidence that it holds")


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Why the fix did not hold")


class LinkIncidentForm(forms.Form):
    incident = forms.CharField(max_length=32, label="Incident reference", help_text="For example INC-2026-000123.")
    note = forms.CharField(max_length=500, required=False)


class LinkProblemForm(forms.Form):
    problem = forms.CharField(max_length=32, label="Problem")
    note = forms.CharField(max_length=500, required=False)
