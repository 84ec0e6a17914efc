"""The one range every date and time a person types must fall in, and the form fields that
hold it.

A date is never earlier than 1 January 1900. A date about something that has happened
(evidence collected, an incident occurred, a reporting range) is at most a day ahead of now;
a genuine deadline or expiry reaches at most `DEADLINE_HORIZON` ahead. Without these bounds
a typed year 1 became a year before 1 AD once converted to UTC, which PostgreSQL stores and
Python cannot read back: every page showing the row failed (issue 13).

Forms use `BoundedDateTimeField` / `BoundedDateField`; services that take a datetime from
elsewhere (the API, tasks) ask `out_of_bounds` and refuse with the same message.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import formats, timezone

EARLIEST_DAY = date(1900, 1, 1)
# Inputs about what has happened: a day ahead covers clocks and time zones that disagree.
RECENT = timedelta(days=1)
# Genuine deadlines and expiries (an information request's due date, a grant's expiry).
DEADLINE_HORIZON = timedelta(days=5 * 366)

LOCAL_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUT_FORMATS = [
    LOCAL_DATETIME_FORMAT,
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
]


def earliest_datetime() -> datetime:
    return timezone.make_aware(datetime.combine(EARLIEST_DAY, time.min))


def latest_datetime(horizon: timedelta = RECENT) -> datetime:
    return timezone.now() + horizon


def _shown(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j F Y, H:i")


TOO_EARLY = "Enter a date on or after 1 January 1900."


def _bound_crossed(value: datetime | date, horizon: timedelta) -> tuple[str, str]:
    """("too_early" | "too_late" | "", the message)."""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if value < earliest_datetime():
            return "too_early", TOO_EARLY
        latest = latest_datetime(horizon)
        if value > latest:
            return "too_late", f"Enter a date and time no later than {_shown(latest)}."
        return "", ""
    if value < EARLIEST_DAY:
        return "too_early", TOO_EARLY
    latest_day = timezone.localdate() + horizon
    if value > latest_day:
        return "too_late", f"Enter a date no later than {formats.date_format(latest_day, 'j F Y')}."
    return "", ""


def out_of_bounds(value: datetime | date, *, horizon: timedelta = RECENT) -> str:
    """Why `value` is outside the range a person may type, or "" when it is inside."""
    return _bound_crossed(value, horizon)[1]


def check_bounds(field: forms.Field, value: Any, horizon: timedelta) -> None:
    """Raise the field's error for a value outside the range; a form may word its own
    `too_early` / `too_late` message (the report wizard: "cannot be in the future")."""
    if value is None:
        return
    code, message = _bound_crossed(value, horizon)
    if code:
        raise forms.ValidationError(field.error_messages.get(code, message), code=code)


class _BoundedInput:
    """Tells the browser's date picker the same range (min/max), computed when rendered."""

    horizon: timedelta
    input_format: str

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = dict(attrs or {})
        latest = timezone.localtime(latest_datetime(self.horizon))
        attrs.setdefault("min", datetime.combine(EARLIEST_DAY, time.min).strftime(self.input_format))
        attrs.setdefault("max", latest.strftime(self.input_format))
        return super().get_context(name, value, attrs)  # type: ignore[misc]


class BoundedDateTimeInput(_BoundedInput, forms.DateTimeInput):
    input_type = "datetime-local"
    input_format = LOCAL_DATETIME_FORMAT

    def __init__(self, *, horizon: timedelta = RECENT, attrs: dict[str, Any] | None = None) -> None:
        self.horizon = horizon
        super().__init__(attrs=attrs, format=LOCAL_DATETIME_FORMAT)


class BoundedDateInput(_BoundedInput, forms.DateInput):
    input_type = "date"
    input_format = "%Y-%m-%d"

    def __init__(self, *, horizon: timedelta = RECENT, attrs: dict[str, Any] | None = None) -> None:
        self.horizon = horizon
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BoundedDateTimeField(forms.DateTimeField):
    """A local date and time between 1 January 1900 and `horizon` from now, the message next to
    the field when it is not (or cannot be a date at all)."""

    def __init__(self, *, horizon: timedelta = RECENT, **kwargs: Any) -> None:
        self.horizon = horizon
        kwargs.setdefault("widget", BoundedDateTimeInput(horizon=horizon))
        kwargs.setdefault("input_formats", DATETIME_INPUT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        try:
            return super().to_python(value)
        except (OverflowError, ValueError) as exc:  # a year Python cannot hold after the zone shift
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def validate(self, value: Any) -> None:
        super().validate(value)
        check_bounds(self, value, self.horizon)


class BoundedDateField(forms.DateField):
    """A date between 1 January 1900 and `horizon` from today."""

    def __init__(self, *, horizon: timedelta = RECENT, **kwargs: Any) -> None:
        self.horizon = horizon
        kwargs.setdefault("widget", BoundedDateInput(horizon=horizon))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        try:
            return super().to_python(value)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def validate(self, value: Any) -> None:
        super().validate(value)
        check_bounds(self, value, self.horizon)


def bound_admin_field(field: forms.Field | None) -> forms.Field | None:
    """Give a Django admin form's date or date-time field the same lower bound and the deadline
    horizon (admin fields hold both past dates and genuine expiries)."""

    def check(value: Any) -> None:
        if value is not None and (problem := out_of_bounds(value, horizon=DEADLINE_HORIZON)):
            raise forms.ValidationError(problem, code="out_of_range")

    if isinstance(field, forms.DateTimeField | forms.DateField | forms.SplitDateTimeField):
        field.validators.append(check)
    return field
