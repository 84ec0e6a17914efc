"""The dashboard's filters, kept in the query string so a view can be bookmarked, compared
and exported as shown: the period (its length and last day; the previous period is the same
length just before), severity, kind and a category subtree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from incidents.choices import IncidentKind, Severity
from incidents.models import Category

# Days in each period; the page names the dates.
PERIODS = {"day": 1, "week": 7, "month": 30, "quarter": 91}
PERIOD_CHOICES = [
    ("day", "Day"),
    ("week", "Week"),
    ("month", "Month"),
    ("quarter", "Quarter"),
]
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Scope:
    """What a dashboard sums: rollup days [start, end) and the same length before, narrowed."""

    start: date
    end: date
    previous_start: date
    severity: str
    kind: str
    category: Category | None
    category_ids: tuple[int, ...] | None
    period: str

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def previous_last_day(self) -> date:
        return self.start - timedelta(days=1)

    @property
    def bucket_days(self) -> int:
        """Trend points: one a day up to a month, one a week beyond."""
        return 1 if self.end - self.start <= timedelta(days=31) else 7


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label="Period", choices=PERIOD_CHOICES, required=False)
    until = forms.DateField(
        label="Last day", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Today when empty."
    )
    severity = forms.ChoiceField(label="Severity", required=False, choices=[("", "Any severity"), *Severity.choices])
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any kind"), *IncidentKind.choices])
    category = forms.TypedChoiceField(
        label="Category (with its subcategories)", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id
        self.categories = {c.pk: c for c in Category.objects.for_tenant(tenant_id).order_by("code")}
        self.fields["category"].choices = [("", "Any category")] + [
            (pk, f"{c.code} {c.name}") for pk, c in self.categories.items()
        ]

    def clean_until(self) -> date | None:
        until = self.cleaned_data.get("until")
        if until is not None and not (EARLIEST <= until <= timezone.localdate() + timedelta(days=366)):
            raise forms.ValidationError("Choose a day between 2000 and a year from now.", code="out_of_range")
        return until

    def scope(self) -> Scope:
        """The scope of the filters that were understood (a bad one is reported on its field
        and left out; the others still apply)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        period = data.get("period") or "month"
        end = (data.get("until") or timezone.localdate()) + timedelta(days=1)
        start = end - timedelta(days=PERIODS[period])
        category = self.categories.get(data.get("category")) if data.get("category") else None
        category_ids = None
        if category is not None:
            category_ids = tuple(Category.objects.descendants(category, include_self=True).values_list("pk", flat=True))
        return Scope(
            start=start,
            end=end,
            previous_start=start - (end - start),
            severity=data.get("severity") or "",
            kind=data.get("kind") or "",
            category=category,
            category_ids=category_ids,
            period=period,
        )
