"""Forms of the organogram pages. Each collects one change's input; the service checks it
against the organogram and refuses with a message placed next to the field that caused it."""

from __future__ import annotations

from typing import Any

from django import forms

from incidents.governance.choices import HrEventKind, RowVerdict
from iwms.models import User
from organogram.choices import AssignmentKind
from organogram.models import OrgUnit, Position, Shift

REASON_HELP = "Why the structure changes (kept in the unit's history)."


class PageChoices:
    """The positions, people and shifts the unit page's forms offer, read once per page (every
    position's forms share them, so the page costs the same queries whatever its size)."""

    def __init__(self, unit: OrgUnit) -> None:
        tenant = unit.organisation_id
        self.tenant = tenant
        self.positions = [("", "—")] + [
            (p.pk, f"{p.title} ({p.unit.name})")
            for p in Position.objects.for_tenant(tenant).filter(is_active=True).select_related("unit")
        ]
        self.people = [("", "—")] + [
            (u.pk, u.get_full_name() or u.username)
            for u in User.objects.filter(organisation_id=tenant, is_active=True).order_by("last_name", "first_name")
        ]
        self.shifts = [("", "—")] + [(s.pk, str(s)) for s in Shift.objects.for_tenant(tenant)]


class _ChoicesForm(forms.Form):
    """A form whose position, person and shift fields offer the page's shared choices and
    clean to rows of the unit's tenant."""

    prefix_name = ""
    references = {"reports_to": "positions", "person": "people", "shift": "shifts"}

    def __init__(self, *args: Any, unit: OrgUnit, choices: PageChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, prefix=self.prefix_name, **kwargs)
        self.choices = choices or PageChoices(unit)
        for name, source in self.references.items():
            if name in self.fields:
                self.fields[name].choices = getattr(self.choices, source)

    def _row(self, name: str, model: Any) -> Any:
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            if self.fields[name].required:
                raise forms.ValidationError("Choose one.")
            return None
        if model is User:
            row = User.objects.filter(organisation_id=self.choices.tenant, pk=value, is_active=True).first()
        else:
            row = model.objects.for_tenant(self.choices.tenant).filter(pk=value).first()
        if row is None:
            raise forms.ValidationError("Choose one of the list.")
        return row

    def clean_reports_to(self) -> Position | None:
        return self._row("reports_to", Position)

    def clean_person(self) -> User | None:
        return self._row("person", User)

    def clean_shift(self) -> Shift | None:
        return self._row("shift", Shift)


def _pick(label: str, *, required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, required=required, coerce=int, empty_value=None)


class AddPositionForm(_ChoicesForm):
    prefix_name = "add"
    title = forms.CharField(max_length=200)
    code = forms.SlugField(max_length=60, help_text="A short unique code, e.g. shift-boss-c.")
    reports_to = _pick("Reports to", required=False)
    shift = _pick("Shift", required=False)
    is_unit_head = forms.BooleanField(required=False, label="Heads the unit")
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)


class MoveForm(_ChoicesForm):
    prefix_name = "move"
    reports_to = _pick("Now reports to")
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)


class RetireForm(_ChoicesForm):
    prefix_name = "retire"
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)


def _when(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False, label=label, help_text=help_text, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class AppointForm(_ChoicesForm):
    prefix_name = "appoint"
    person = _pick("Person")
    kind = forms.ChoiceField(choices=AssignmentKind.choices, label="Appointment")
    starts_at = _when("From", "Leave empty for now.")
    ends_at = _when("Until", "For an acting appointment that ends on a known date.")
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)


class EndAppointmentForm(_ChoicesForm):
    prefix_name = "end"
    ends_at = _when("From", "Leave empty for now.")
    reason = forms.CharField(max_length=300, help_text=REASON_HELP)


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
