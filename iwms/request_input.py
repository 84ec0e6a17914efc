"""Refusing request input no field can hold, before any view or query sees it.

A NUL character (`\\0`) is valid in a URL and a form field, yet PostgreSQL refuses it in any
text, so before this one NUL in a reference, a hand-off note or a username failed the request
with a server error (issue 13). Forms reject it field by field (Django's CharField does); this
middleware answers every other path — URL, query string, form data read without a form — with
the one refusal response: 422 and a message saying what to remove.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict

from iwms.errors import PolicyError
from iwms.refusals import record_refusal, refusal_response

NUL = "\x00"


def _nul_in(data: QueryDict) -> str:
    """The first parameter whose name or a value holds a NUL, or ""."""
    for key, values in data.lists():
        if NUL in key or any(isinstance(value, str) and NUL in value for value in values):
            return key.replace(NUL, "\\0")
    return ""


def where_nul(request: HttpRequest) -> str:
    """Where the request carries a NUL character, in words, or "" when it carries none."""
    if NUL in request.path:
        return "address"
    if name := _nul_in(request.GET):
        return f"query parameter “{name}”"
    if request.method == "POST" and (name := _nul_in(request.POST)):
        return f"field “{name}”"
    return ""


class RejectNulMiddleware:
    """Answer a request carrying a NUL character with a 422 refusal (`validation.invalid`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = where_nul(request)
        if not where:
            return self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        refusal = PolicyError(
            "validation.invalid",
            f"The {where} contains a NUL character (\\0), which nothing here accepts. Remove it and try again.",
            tenant=getattr(user, "organisation", None) if signed_in else None,
            field="request",
            where=where,
        )
        record_refusal(refusal, actor=user if signed_in else None)
        return refusal_response(request, refusal)


# No list here has a million pages; a larger number would only overflow the database's OFFSET.
MAX_PAGE_NUMBER = 1_000_000


def page_number(raw: str | None) -> int:
    """The page number a `?page=` asks for: 1 when it is no number, at most `MAX_PAGE_NUMBER`
    (a list shows its last page for any number past its end)."""
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):  # not a number, or more digits than int() reads
        return 1
    return max(1, min(number, MAX_PAGE_NUMBER))


def prohibit_surrogates(value: object) -> None:
    """A lone surrogate (half a UTF-16 pair) can be in a Python string but in no UTF-8 text a
    database stores or a query sends; Django's text fields refuse NUL but let it through."""
    if isinstance(value, str) and any("\ud800" <= char <= "\udfff" for char in value):
        raise ValidationError("Remove the unreadable character from this text.", code="surrogate")


class StorableTextForm:
    """Mixed into a form whose cleaning looks typed text up in the database: every text field
    then refuses what no query can carry, next to the field, before the lookup runs."""

    fields: dict

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(prohibit_surrogates)


MAX_ROW_ID = 2**63 - 1  # the largest id a database integer key holds


def row_id(raw: str) -> int | None:
    """A row id typed into a query parameter, or None when it is no id any row can have
    (SQLite refuses to even compare with a larger integer)."""
    if not raw.isdigit() or len(raw) > 19:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ROW_ID else None
