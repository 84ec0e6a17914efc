"""Forms of grants: the owner's request for an auditor's or regulator's read access, and the
tenant admin's reasons for declining or revoking one."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from arc.choices import Role
from incidents.models import Category, Incident
from iwms.date_bounds import DEADLINE_HORIZON, BoundedDateField
from iwms.models import User
from workflows.choices import EvidenceKind

SCOPE_INCIDENTS = "incidents"
SCOPE_SUBTREE = "subtree"
READER_ROLES = (Role.AUDITOR, Role.REGULATOR)


def grantees_of(tenant_id: int) -> QuerySet[User]:
    """People of the tenant who hold the auditor or regulator role now."""
    now = timezone.now()
    return (
        User.objects.filter(
            organisation_id=tenant_id,
            is_active=True,
            role_grants__role__in=READER_ROLES,
            role_grants__revoked_at__isnull=True,
            role_grants__starts_at__lte=now,
        )
        .filter(Q(role_grants__expires_at__isnull=True) | Q(role_grants__expires_at__gt=now))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _storable_id(value: object) -> bool:
    """Whether `value`, if a whole number, fits the database's 64-bit ids: a larger one would fail
    the query (SQLite raises OverflowError) instead of being refused as an unknown choice."""
    try:
        return -(2**63) <= int(str(value).strip()) < 2**63
    except (TypeError, ValueError):
        return True  # not a number: the field says so itself


class StorableIdChoiceField(forms.ModelChoiceField):
    def to_python(self, value: object) -> object:
        if value not in self.empty_values and not _storable_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class GranteeChoiceField(StorableIdChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class OwnIncidentsField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: object) -> object:
        for pk in value or ():
            if not _storable_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)

    def label_from_instance(self, obj: Incident) -> str:
        return f"{obj.reference} · {obj.title}"


class CategoryField(StorableIdChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.code} · {obj.name}"


def end_of_day(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max.replace(microsecond=0)))


def start_of_day(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class GrantRequestForm(forms.Form):
    """Who reads, what (incidents the requester owns, or a category subtree over a date range;
    optionally only some kinds of evidence), what for and until when."""

    grantee = GranteeChoiceField(queryset=User.objects.none(), label="Auditor or regulator", empty_label="Choose…")
    scope = forms.ChoiceField(
        choices=[(SCOPE_INCIDENTS, "Incidents I own"), (SCOPE_SUBTREE, "A category and its subcategories")],
        widget=forms.RadioSelect,
        initial=SCOPE_INCIDENTS,
        label="Scope",
    )
    incidents = OwnIncidentsField(
        queryset=Incident.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        label="Incidents",
        help_text="Incidents you own; hold Ctrl (⌘ on a Mac) to choose several.",
    )
    category = CategoryField(queryset=Category.objects.none(), required=False, label="Category", empty_label="Choose…")
    reported_from = BoundedDateField(required=False, label="Reported from")
    reported_until = BoundedDateField(required=False, label="Reported until (inclusive)")
    covers_later_incidents = forms.BooleanField(
        required=False,
        label="Covers incidents reported later",
        help_text="Category scope only. Off: only the incidents that exist when the grant is issued. On: also "
        "incidents reported later in the category — yours only, unless you are its category custodian or a "
        "tenant admin. The tenant admin sees this choice before issuing.",
    )
    evidence_kinds = forms.MultipleChoiceField(
        choices=EvidenceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Evidence kinds",
        help_text="Leave all unticked to show every kind.",
    )
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Purpose",
        help_text="What the grant is for, e.g. the inspection or audit it serves.",
    )
    expires_on = BoundedDateField(
        horizon=DEADLINE_HORIZON,
        label="Expires on",
        help_text="Access ends at the end of this day.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        tenant_id = user.organisation_id
        self.fields["grantee"].queryset = grantees_of(tenant_id)
        self.fields["incidents"].queryset = (
            Incident.objects.for_tenant(tenant_id).filter(owner=user).only("pk", "reference", "title")
        ).order_by("-reported_at", "-pk")
        self.fields["category"].queryset = (
            Category.objects.for_tenant(tenant_id).only("pk", "code", "name", "organisation_id").order_by("code")
        )
        if not self.is_bound and "expires_on" not in self.initial:
            self.initial["expires_on"] = (timezone.localdate() + timedelta(days=30)).isoformat()

    def clean_expires_on(self) -> Any:
        day = self.cleaned_data["expires_on"]
        if day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later day.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        scope = data.get("scope")
        if scope == SCOPE_INCIDENTS:
            if not data.get("incidents"):
                self.add_error("incidents", "Choose at least one incident you own.")
            for name in ("category", "reported_from", "reported_until", "covers_later_incidents"):
                if data.get(name):
                    self.add_error(name, "Only for a category scope; choose 'A category and its subcategories'.")
        elif scope == SCOPE_SUBTREE:
            if not data.get("category"):
                self.add_error("category", "Choose the category whose incidents the grant covers.")
            if data.get("incidents"):
                self.add_error("incidents", "Only for an incident scope; choose 'Incidents I own'.")
            start, end = data.get("reported_from"), data.get("reported_until")
            if start and end and end < start:
                self.add_error("reported_until", "The range ends before it starts.")
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        subtree = data["scope"] == SCOPE_SUBTREE
        return {
            "grantee": data["grantee"],
            "purpose": data["purpose"],
            "expires_at": end_of_day(data["expires_on"]),
            "incidents": list(data["incidents"]) if not subtree else [],
            "category": data["category"] if subtree else None,
            "reported_from": start_of_day(data["reported_from"]) if subtree and data["reported_from"] else None,
            "reported_until": start_of_day(data["reported_until"] + timedelta(days=1))
            if subtree and data["reported_until"]
            else None,
            "evidence_kinds": data["evidence_kinds"],
            "covers_later_incidents": subtree and data["covers_later_incidents"],
        }


# Where a refusal of the grant service belongs on the form.
REFUSAL_FIELDS = {
    "grant.not_owner": "incidents",
    "grant.no_standing": "category",
    "grant.grantee_not_external": "grantee",
    "grant.invalid_scope": "scope",
}


class ReasonForm(forms.Form):
    """Why a tenant admin declines or revokes a grant."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason", max_length=1000)
