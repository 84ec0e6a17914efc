"""Forms of the closure queue, the decision page and reopening. The services check what
matters; these forms turn browser input into typed values and carry the services' refusals
back next to the field that caused them, with the typed text kept."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.db.models import QuerySet, Value
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe

from incidents.choices import Severity
from incidents.closure.services.closure import (
    CHECKLIST_LABELS,
    MIN_CHECKLIST,
    MIN_INSTRUCTIONS,
    MIN_ITEM,
    MIN_MISMATCH_NOTE,
    MIN_OVERRIDE,
    MIN_REOPEN,
    Checklist,
)
from incidents.models import Category
from iwms.errors import PolicyError
from iwms.prepared_queries import SENTINEL_ID, PreparedQuery
from organogram.models import OrgUnit
from workflows.models import Step


def _text(
    label: str, *, rows: int = 2, minimum: int = 0, required: bool = True, help_text: str = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        min_length=minimum or None,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _filter_options(*, tenant: int) -> QuerySet[tuple[str, int, str, str]]:
    categories = (
        Category.objects.for_tenant(tenant)
        .filter(is_active=True)
        .annotate(filter_name=Value("category"))
        .order_by()
        .values_list("filter_name", "pk", "name", "code")
    )
    units = (
        OrgUnit.objects.for_tenant(tenant)
        .annotate(filter_name=Value("unit"))
        .order_by()
        .values_list("filter_name", "pk", "name", "code")
    )
    return categories.union(units, all=True).order_by("filter_name", "name", "pk")


# Compiled once: the queue's full page reads these lists on every visit.
FILTER_OPTIONS = PreparedQuery(_filter_options, tenant=SENTINEL_ID)


class QueueFilterForm(forms.Form):
    """The queue's filters, sent as GET parameters so a filtered queue can be bookmarked. The
    category and unit lists are read as plain rows, once, and only when needed: to check a
    chosen value, or to write the full page's selects (a page turn reads neither)."""

    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *Severity.choices])
    category = forms.IntegerField(required=False)
    unit = forms.IntegerField(required=False)

    ANY = {"severity": "Any severity", "category": "Any category", "unit": "Any unit"}
    INVALID = "Select a valid choice. That choice is not one of the available choices."

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id

    @cached_property
    def options(self) -> dict[str, dict[int, str]]:
        """The active categories ("Name (code)") and the units of the tenant, by name, in one round trip."""
        options: dict[str, dict[int, str]] = {"category": {}, "unit": {}}
        for filter_name, pk, name, code in FILTER_OPTIONS.rows(tenant=self.tenant_id):
            options[filter_name][pk] = f"{name} ({code})" if filter_name == "category" else name
        return options

    def _known(self, name: str) -> int | None:
        value = self.cleaned_data[name]
        if value is not None and value not in self.options[name]:
            raise forms.ValidationError(self.INVALID, code="invalid_choice")
        return value

    def clean_category(self) -> int | None:
        return self._known("category")

    def clean_unit(self) -> int | None:
        return self._known("unit")

    def with_options(self) -> list[tuple[Any, SafeString]]:
        """Each filter's bound field with its <option> list (the chosen one selected) as HTML,
        written out in one pass: the category list is long, and a template loop per option
        costs more than the rest of the page's filters together."""
        choices = {"severity": Severity.choices, **{name: rows.items() for name, rows in self.options.items()}}
        fields = []
        for name in ("severity", "category", "unit"):
            current = str(self[name].value() or "")
            # Plain `html.escape`: Django's escape and format_html cost several times as much per option.
            options = "".join(
                f'<option value="{escape(str(value))}"{" selected" if str(value) == current else ""}>'
                f"{escape(str(label))}</option>"
                for value, label in [("", self.ANY[name]), *choices[name]]
            )
            fields.append((self[name], mark_safe(options)))  # noqa: S308 - every value and label escaped above
        return fields

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"severity": data["severity"], "category_id": data["category"], "unit_id": data["unit"]}


class ChecklistForm(forms.Form):
    """The closure checklist; with a justification it overrides the review's findings."""

    impact = _text("Impact", minimum=MIN_CHECKLIST, help_text="What the incident did: people, plant, product, output.")
    root_cause = _text("Root cause", minimum=MIN_CHECKLIST, help_text="Why it happened, as the investigation found.")
    actions_taken = _text("Actions taken", minimum=MIN_CHECKLIST, help_text="What was done, and the evidence for it.")
    residual_risk = _text("Residual risk", minimum=MIN_CHECKLIST, help_text="What risk remains after the actions.")
    preventive_tasks = _text(
        "Preventive tasks", minimum=MIN_CHECKLIST, help_text="What will stop it happening again, and who owns it."
    )
    justification = _text(
        "Why the review's findings do not stand",
        rows=3,
        required=False,
        help_text=f"Only to override the review (at least {MIN_OVERRIDE} characters); counted as a maturity signal.",
    )

    def checklist(self) -> Checklist:
        return Checklist(**{name: self.cleaned_data[name] for name in CHECKLIST_LABELS})


class RejectForm(forms.Form):
    instructions = _text(
        "Instructions for the responsible person",
        rows=4,
        minimum=MIN_INSTRUCTIONS,
        help_text="What must be done before the incident can close. It becomes a corrective workflow step.",
    )


class EvidenceRequestForm(forms.Form):
    """One box per step of the workflow: each line names an item of evidence for that step."""

    def __init__(self, *args: Any, steps: list[Step], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.steps = steps
        for step in steps:
            self.fields[f"items_{step.key}"] = _text(
                f"{step.position}. {step.name}",
                required=False,
                help_text=f"One item per line, at least {MIN_ITEM} characters each.",
            )

    def items(self) -> list[dict[str, str]]:
        return [
            {"step": step.key, "item": line.strip()}
            for step in self.steps
            for line in self.cleaned_data.get(f"items_{step.key}", "").splitlines()
            if line.strip()
        ]

    def field_for_refusal(self, exc: PolicyError) -> str | None:
        """A refusal about the items of one step goes next to that step's box."""
        return f"items_{exc.context.get('step')}" if exc.context.get("field") == "items" else exc.context.get("field")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.items():
            raise forms.ValidationError("Name at least one item of evidence, on the line of the step it belongs to.")
        return data


class MismatchForm(forms.Form):
    note = _text(
        "What in the routing is wrong",
        rows=3,
        minimum=MIN_MISMATCH_NOTE,
        help_text="For example: the position one level up was abolished, or the person left the section. "
        "The department head reviews the structure; nobody is blamed.",
    )


class ReopenForm(forms.Form):
    reason = _text(
        "Why it is reopened",
        rows=3,
        minimum=MIN_REOPEN,
        help_text="Kept with the incident's lineage; the acknowledge, contain and resolve clocks start again.",
    )
