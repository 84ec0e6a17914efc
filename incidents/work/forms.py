"""Forms of the work page: evidence, justification, information requests, delegation and
the answers to information requests. Services do the checking that matters; these forms
turn browser input into typed values and carry errors back next to their fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from arc.choices import DelegationReason
from arc.roles import READ_ONLY_ROLES, live_grants_of_roles
from incidents.choices import PoleType
from iwms.date_bounds import DEADLINE_HORIZON, BoundedDateTimeField
from iwms.models import User
from workflows.choices import EvidenceKind, EvidenceSource


class FilesInput(forms.ClearableFileInput):
    """A file input that lets a person pick several files at once."""

    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Cleans every picked file with FileField's own checks and returns them as a list."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=FilesInput(), **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        picked = data if isinstance(data, list | tuple) else ([data] if data else [])
        clean_one = super().clean
        return [clean_one(item, initial) for item in picked]


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(choices=EvidenceKind.choices, initial=EvidenceKind.PHOTO)
    files = FilesField(required=False, label="Files", help_text="Several files at once are fine.")
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Text",
        help_text="For a narrative, a measured value or an external reference number.",
    )
    relevance = forms.CharField(max_length=500, label="What it shows for this step")
    source = forms.ChoiceField(choices=EvidenceSource.choices, initial=EvidenceSource.UPLOAD)
    collected_at = BoundedDateTimeField(label="Collected at")
    location = forms.CharField(max_length=200, required=False, label="Where it was collected")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collected_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class NotApplicableForm(forms.Form):
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why this step does not apply",
        help_text="Audited and reviewed; 'n/a' is not a reason.",
    )


def colleague_choices(user: User) -> list[tuple[str, str]]:
    """Active people of the user's tenant but the user and its auditors and regulators (they
    read, they are never asked or handed work): read once per page, shared by its forms."""
    people = (
        User.objects.filter(organisation_id=user.organisation_id, is_active=True)
        .exclude(pk=user.pk)
        .exclude(pk__in=live_grants_of_roles(READ_ONLY_ROLES).values("user_id"))
        .order_by("first_name", "last_name")
        .only("pk", "first_name", "last_name", "username")
    )
    return [("", "Choose a person"), *((str(p.pk), p.get_full_name() or p.username) for p in people)]


class ColleagueField(forms.TypedChoiceField):
    """A person of the same tenant, chosen from a list read once per page."""

    def __init__(self, *, user: User, choices: list[tuple[str, str]] | None, **kwargs: Any) -> None:
        self.tenant_id = user.organisation_id
        # Searchable (static/iwms/people-picker.js puts a filter box before the list).
        kwargs.setdefault("widget", forms.Select(attrs={"data-searchable": "people"}))
        super().__init__(choices=choices if choices is not None else colleague_choices(user), **kwargs)

    def clean(self, value: Any) -> User:
        value = super().clean(value)
        person = User.objects.filter(pk=value, organisation_id=self.tenant_id, is_active=True).first()
        if person is None:
            raise forms.ValidationError("Choose an active person of your organisation.")
        return person


class PauseForm(forms.Form):
    request = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What information is needed, and why")
    due_at = BoundedDateTimeField(horizon=DEADLINE_HORIZON, label="Needed by")

    def __init__(self, *args: Any, user: User, people: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"responsible": ColleagueField(user=user, choices=people, label="Ask"), **self.fields}
        self.fields["due_at"].initial = (timezone.localtime() + timedelta(hours=4)).replace(second=0, microsecond=0)


class DelegateForm(forms.Form):
    reason_code = forms.ChoiceField(choices=DelegationReason.choices, label="Reason")
    handoff_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Hand-off note")

    def __init__(self, *args: Any, user: User, people: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"to_person": ColleagueField(user=user, choices=people, label="Hand to"), **self.fields}


class TakeBackForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why you take the step back",
        help_text="The person it was handed to is told.",
    )


class InvalidateForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why it is no longer valid")


class ResolveRequestForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="The information asked for")


class AccountForm(forms.Form):
    """Correct the incident's account when the review questions it."""

    narrative = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What happened, where and when")
    location = forms.CharField(max_length=200, label="Location")
    pole_type = forms.ChoiceField(
        choices=[("", "— none —"), *PoleType.choices], required=False, label="Add a POLE entity (optional)"
    )
    pole_name = forms.CharField(max_length=200, required=False, label="Its name")
    pole_role = forms.CharField(max_length=100, required=False, label="Its role")
    reason = forms.CharField(max_length=300, label="Why the account changes")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("pole_type") and not data.get("pole_name", "").strip():
            self.add_error("pole_name", "Name the person, object, location or event to add.")
        return data
