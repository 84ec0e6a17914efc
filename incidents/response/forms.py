"""Forms of the response pages; every write goes through a service."""

from __future__ import annotations

from typing import Any

from django import forms

from incidents.response.choices import Audience, Moment, NoteKind, ReviewDepth
from incidents.response.models import RecipientGroup
from incidents.response.services.roles import role_choices
from iwms.models import User


def _people(tenant_id: int) -> Any:
    return User.objects.filter(organisation_id=tenant_id, is_active=True).order_by("first_name", "last_name")


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role")
    holder = PersonField(queryset=User.objects.none(), label="Person")
    note = forms.CharField(label="Hand-over note", required=False, max_length=300)

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(tenant_id)
        self.fields["holder"].queryset = _people(tenant_id)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(choices=NoteKind.choices, initial=NoteKind.NOTE, label="Kind")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Note", max_length=4000)


class NoteEditForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Note", max_length=4000)


class MomentForm(forms.Form):
    moment = forms.ChoiceField(choices=Moment.choices, label="Moment")
    at = forms.DateTimeField(
        required=False, label="At (blank: now)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class MessageForm(forms.Form):
    audience = forms.ChoiceField(choices=Audience.choices, label="Kind of message")
    groups = forms.ModelMultipleChoiceField(
        queryset=RecipientGroup.objects.none(), widget=forms.CheckboxSelectMultiple, label="Recipient groups"
    )
    subject = forms.CharField(max_length=200, label="Subject")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="Message", max_length=8000)

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = RecipientGroup.objects.filter(organisation_id=tenant_id)


class ReviewForm(forms.Form):
    depth = forms.ChoiceField(choices=ReviewDepth.choices, label="Depth")
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Summary")
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Root cause")
    contributing_factors = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Contributing factors"
    )
    what_worked = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What worked")
    what_failed = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What failed")


class ActionItemForm(forms.Form):
    description = forms.CharField(max_length=300, label="Preventive action")
    owner = PersonField(queryset=User.objects.none(), required=False, label="Owner")
    due_at = forms.DateField(required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(tenant_id)


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False, label="Why not")
