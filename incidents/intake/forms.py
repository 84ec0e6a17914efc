"""Forms of the reporting wizard, one per step. Values are kept in the draft as plain JSON."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from incidents.choices import (
    KIND_EXPLANATIONS,
    IncidentKind,
    PoleType,
    RiskLevel,
    Severity,
    TimeSensitivity,
)
from incidents.core.severity import definitions_for
from incidents.models import Category
from iwms.date_bounds import BoundedDateTimeField
from iwms.request_input import StorableTextForm
from organogram.models import OrgUnit

MIN_NARRATIVE = 30


class KindForm(forms.Form):
    kind = forms.ChoiceField(
        choices=IncidentKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you are reporting."},
    )
    title = forms.CharField(
        max_length=200,
        label="In one sentence, what happened or what is planned?",
        error_messages={"required": "Give the report a short description."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Rock fell from the hanging wall at Shaft 2, level 8"}),
    )

    explanations = KIND_EXPLANATIONS


class ClassificationForm(StorableTextForm, forms.Form):
    category = forms.CharField(error_messages={"required": "Select a category from the tree."})

    def __init__(self, *args: object, tenant: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_category(self) -> str:
        code = self.cleaned_data["category"]
        offered = Category.objects.for_tenant(self.tenant).filter(is_active=True, offered_to_reporters=True)
        category = offered.filter(code=code).first()
        if category is None:
            raise forms.ValidationError("That category does not exist in your organisation's tree.")
        if category.children.exists():
            raise forms.ValidationError(f"“{category.name}” is a group; select one of the categories inside it.")
        return code


class ContextForm(forms.Form):
    unit = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Where did it happen (which part of the organisation)?",
        help_text="The owner and the responsible person are found from this part of the organogram.",
        error_messages={"invalid_choice": "Choose a part of your organisation from the list."},
    )
    location = forms.CharField(
        max_length=200,
        error_messages={"required": "Say where it happened."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Shaft 2, level 8, loading box"}),
    )
    severity = forms.ChoiceField(
        choices=Severity.choices, widget=forms.RadioSelect, error_messages={"required": "Choose a severity."}
    )
    risk_level = forms.ChoiceField(choices=RiskLevel.choices, label="Risk level")
    time_sensitivity = forms.ChoiceField(choices=TimeSensitivity.choices, label="Time sensitivity")
    occurred_at = BoundedDateTimeField(
        label="When did it happen (or when will it start)?",
        horizon=timedelta(minutes=5),
        error_messages={
            "required": "Say when it happened.",
            "invalid": "Enter a date and time.",
            "too_late": "The time cannot be in the future for a report of something that happened.",
        },
    )
    narrative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        label="What happened? Who and what was involved, what was done so far?",
        error_messages={"required": "Describe what happened."},
    )

    def __init__(self, *args: object, tenant: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # What each severity means in the reporter's organisation (`incidents.severity`).
        self.severity_definitions = definitions_for(tenant)
        units = OrgUnit.objects.for_tenant(tenant).with_tree_fields()
        self.fields["unit"].choices = [(unit.pk, "\u2003" * (unit.tree_depth) + unit.name) for unit in units]

    def clean_occurred_at(self) -> object:
        value = self.cleaned_data["occurred_at"]
        if value < timezone.now() - timedelta(days=365):
            raise forms.ValidationError("That is more than a year ago; check the date.")
        return value

    def clean_narrative(self) -> str:
        text = self.cleaned_data["narrative"].strip()
        if len(text) < MIN_NARRATIVE:
            raise forms.ValidationError(
                f"Say a little more (at least {MIN_NARRATIVE} characters) so the responsible person can act on it."
            )
        return text


class PoleForm(forms.Form):
    type = forms.ChoiceField(choices=PoleType.choices)
    name = forms.CharField(max_length=200, error_messages={"required": "Name the person, object, place or event."})
    role = forms.CharField(
        max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. witness, vehicle involved"})
    )


PoleFormSet = forms.formset_factory(PoleForm, extra=0, can_delete=True, max_num=50, validate_max=True)
