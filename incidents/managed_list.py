"""The managers' incident list: its filters (kept in the query string), text search, the rows
of a page and of the CSV export. Every row starts from `incidents_visible_to`, so the list,
the export and the incident page never disagree on who sees what."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from django import forms
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe

from incidents.choices import IncidentStatus, Severity
from incidents.closure.forms import FILTER_OPTIONS
from incidents.core.selectors import incidents_visible_to
from incidents.models import Incident
from iwms.models import User

SEARCH_MAX = 100
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


def overdue_at(now: datetime) -> Q:
    """Not closed, and its resolve deadline has passed, or its acknowledge deadline has
    passed without an acknowledgement."""
    return ~Q(status=IncidentStatus.CLOSED) & (
        Q(resolve_due_at__lt=now) | Q(acknowledged_at__isnull=True, ack_due_at__lt=now)
    )


def _person(user: User) -> str:
    return user.get_full_name() or user.username


class ManagedIncidentFilterForm(forms.Form):
    """The list's filters, sent as GET parameters so a filtered list can be bookmarked and
    exported as shown. A value that is not understood is reported next to its field and
    leaves that filter out; the others still apply."""

    q = forms.CharField(label="Search reference or title", required=False, max_length=SEARCH_MAX, strip=True)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *IncidentStatus.choices])
    severity = forms.ChoiceField(label="Severity", required=False, choices=[("", "Any severity"), *Severity.choices])
    category = forms.IntegerField(label="Category", required=False)
    unit = forms.IntegerField(label="Unit", required=False, help_text="The unit of the owning position.")
    owner = forms.IntegerField(label="Owner", required=False)
    responsible = forms.IntegerField(label="Responsible", required=False)
    reported_from = forms.DateField(
        label="Reported from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reported_to = forms.DateField(label="Reported to", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label="Overdue only", required=False)

    SELECTS = ("status", "severity", "category", "unit", "owner", "responsible")
    ANY = {
        "status": "Any status",
        "severity": "Any severity",
        "category": "Any category",
        "unit": "Any unit",
        "owner": "Anyone",
        "responsible": "Anyone",
    }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    @cached_property
    def options(self) -> dict[str, dict[int, str]]:
        """Categories and units of the tenant (one round trip), and the owners and responsible
        people of the incidents the user sees (one each)."""
        options: dict[str, dict[int, str]] = {"category": {}, "unit": {}}
        for filter_name, pk, name, code in FILTER_OPTIONS.rows(tenant=self.user.organisation_id):
            options[filter_name][pk] = f"{name} ({code})" if filter_name == "category" else name
        visible = incidents_visible_to(self.user).order_by()
        for role in ("owner", "responsible"):
            people = User.objects.filter(pk__in=visible.values(f"{role}_id")).order_by("first_name", "last_name", "pk")
            options[role] = {person.pk: _person(person) for person in people}
        return options

    def _known(self, name: str) -> int | None:
        value = self.cleaned_data[name]
        if value is not None and value not in self.options[name]:
            raise forms.ValidationError(INVALID_CHOICE, code="invalid_choice")
        return value

    def clean_category(self) -> int | None:
        return self._known("category")

    def clean_unit(self) -> int | None:
        return self._known("unit")

    def clean_owner(self) -> int | None:
        return self._known("owner")

    def clean_responsible(self) -> int | None:
        return self._known("responsible")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("reported_from"), data.get("reported_to")
        if start and end and start > end:
            self.add_error("reported_to", "The end date is before the start date.")
        return data

    def filters(self) -> dict[str, Any]:
        """The filters that were understood (all of them, when the form is valid)."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value not in (None, "")}

    def selects(self) -> list[tuple[Any, SafeString]]:
        """Each select's bound field with its <option> list (the chosen one selected), written
        out in one pass: the category and people lists are long."""
        choices: dict[str, Iterable[tuple[Any, str]]] = {
            "status": IncidentStatus.choices,
            "severity": Severity.choices,
            **{name: rows.items() for name, rows in self.options.items()},
        }
        fields = []
        for name in self.SELECTS:
            current = str(self[name].value() or "")
            options = "".join(
                f'<option value="{escape(str(value))}"{" selected" if str(value) == current else ""}>'
                f"{escape(str(label))}</option>"
                for value, label in [("", self.ANY[name]), *choices[name]]
            )
            fields.append((self[name], mark_safe(options)))  # noqa: S308 - every value and label escaped above
        return fields


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def managed_incidents(user: User, filters: dict[str, Any], *, now: datetime | None = None) -> QuerySet[Incident]:
    """The incidents `user` sees, narrowed by `filters` (cleaned values of
    `ManagedIncidentFilterForm`), latest reported first, each with `overdue` annotated."""
    now = now or timezone.now()
    rows = incidents_visible_to(user).select_related("owner_position__unit")
    if text := filters.get("q"):
        rows = rows.filter(Q(reference__icontains=text) | Q(title__icontains=text))
    exact = {
        "status": "status",
        "severity": "severity",
        "category": "category_id",
        "unit": "owner_position__unit_id",
        "owner": "owner_id",
        "responsible": "responsible_id",
    }
    rows = rows.filter(**{column: filters[name] for name, column in exact.items() if name in filters})
    if "reported_from" in filters:
        rows = rows.filter(reported_at__gte=_day_start(filters["reported_from"]))
    if "reported_to" in filters:
        rows = rows.filter(reported_at__lt=_day_start(filters["reported_to"] + timedelta(days=1)))
    if filters.get("overdue"):
        rows = rows.filter(overdue_at(now))
    overdue = Case(When(overdue_at(now), then=Value(True)), default=Value(False), output_field=BooleanField())
    return rows.annotate(overdue=overdue).order_by("-reported_at", "-pk")


# --- the CSV export ----------------------------------------------------------------------------

CSV_COLUMNS = (
    "reference",
    "title",
    "status",
    "severity",
    "category",
    "unit",
    "owner",
    "responsible",
    "reported_at",
    "resolve_due_at",
    "overdue",
    "closed_at",
)
# A cell a spreadsheet would read as a formula is written as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(incidents: Iterable[Incident]) -> Iterator[str]:
    """The export's header and one line per incident, as CSV text."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for incident in incidents:
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    incident.reference,
                    incident.title,
                    incident.get_status_display(),
                    incident.get_severity_display(),
                    f"{incident.category.name} ({incident.category.code})",
                    incident.owner_position.unit.name,
                    _person(incident.owner),
                    _person(incident.responsible),
                    incident.reported_at,
                    incident.resolve_due_at,
                    incident.overdue,
                    incident.closed_at,
                )
            ]
        )
