"""Forms of the organogram pages. Each collects one change's input; the service checks it
against the organogram and refuses with a message placed next to the field that caused it."""

from __future__ import annotations

from typing import Any

from django import forms

from governance.choices import HrEventKind, RowVerdict
from iwms.models import User
from organogram.choices import AssignmentKind
from organogram.models import OrgUnit, Position, Shift

REASON_HELP = "Why the structure changes (kept in the unit's history)."


def _people(unit: OrgUnit) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.filter(organisation_id=unit.organisation_id, is_active=True).order_by(
            "last_name", "first_name"
        ),
        label="Person",
    )


def _positions(unit: OrgUnit, *, required: bool, label: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Position.objects.for_tenant(unit.organisation_id).filter(is_active=True).select_related("unit"),
        required=required,
        label=label,
    )


class AddPositionForm(forms.Form):
    title = forms.CharField(max_length=200)
    code = forms.SlugField(max_length=60, help_text="A short unique code, e.g. shift-boss-c.")
    reports_to = forms.ModelChoiceField(queryset=Position.objects.none(), required=False, label="Reports to")
    shift = forms.ModelChoiceField(queryset=Shift.objects.none(), required=False)
    is_unit_head = forms.BooleanField(required=False, label="Heads the unit")
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["reports_to"] = _positions(unit, required=False, label="Reports to")
        self.fields["shift"].queryset = Shift.objects.for_tenant(unit.organisation_id)


class MoveForm(forms.Form):
    reports_to = forms.ModelChoiceField(queryset=Position.objects.none(), label="Now reports to")
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, prefix="move", **kwargs)
        self.fields["reports_to"] = _positions(unit, required=True, label="Now reports to")


class RetireForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)

    def __init__(self, *args: Any, unit: OrgUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, prefix="retire", **kwargs)


class AppointForm(forms.Form):
    person = forms.ModelChoiceField(queryset=User.objects.none())
    kind = forms.ChoiceField(choices=AssignmentKind.choices, label="Appointment")
    starts_at = forms.DateTimeField(
        required=False,
        label="From",
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        required=False,
        label="Until",
        help_text="For an acting appointment that ends on a known date.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, prefix="appoint", **kwargs)
        self.fields["person"] = _people(unit)


class EndAppointmentForm(forms.Form):
    ends_at = forms.DateTimeField(
        required=False,
        label="From",
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)

    def __init__(self, *args: Any, unit: OrgUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, prefix="end", **kwargs)


class VerificationForm(forms.Form):
    """One verdict (and a note when corrected) per row of the unit, and the sign-off."""

    sign_off = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="I confirm the organogram of the unit is as verified above.",
    )

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[row.key] = forms.ChoiceField(
                choices=RowVerdict.choices, widget=forms.RadioSelect, label=row.title, initial=RowVerdict.CONFIRMED
            )
            self.fields[f"{row.key}-note"] = forms.CharField(required=False, max_length=300, label="What changed")

    def verdicts(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {row.key: (data.get(row.key, ""), data.get(f"{row.key}-note", "")) for row in self.rows}

    def paired(self) -> list[tuple[Any, Any, Any]]:
        return [(row, self[row.key], self[f"{row.key}-note"]) for row in self.rows]


class HrEventForm(forms.Form):
    """The tenant admin's entry of an HR event: the same payload the HR system posts."""

    kind = forms.ChoiceField(choices=HrEventKind.choices)
    person = forms.CharField(max_length=150, help_text="The person's username.")
    position = forms.CharField(max_length=60, required=False, help_text="The position code (not for a termination).")
    effective_at = forms.DateTimeField(
        required=False, help_text="Leave empty for now.", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    event_id = forms.CharField(max_length=100, required=False, label="HR reference")
    note = forms.CharField(max_length=300, required=False)

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        payload = {key: data[key] for key in ("kind", "person", "position", "event_id", "note") if data.get(key)}
        if data.get("effective_at"):
            payload["effective_at"] = data["effective_at"].isoformat()
        return payload
