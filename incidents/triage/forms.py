"""Forms of the triage slice: the triage step, later changes of priority, requests for and
decisions on re-prioritisation, a category's decision tree, and a breach's post-mortem."""

from __future__ import annotations

from datetime import date

from django import forms

from incidents.choices import Severity
from incidents.core.clocks import MIN_REASON
from incidents.triage.choices import BreachCause, ChangeKind, Priority
from incidents.triage.matrix import DIMENSION_LABELS, DIMENSIONS, URGENCY_LEVELS, levels_for
from incidents.triage.services.breach_reviews import MIN_ACCOUNT
from iwms.models import User

ACTION_ROWS = 3


def _reason(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=MIN_REASON,
        max_length=1000,
        help_text=help_text,
        error_messages={"required": "Say why.", "min_length": f"Say why (at least {MIN_REASON} characters)."},
    )


class TriageForm(forms.Form):
    """The four dimensions of the matrix and the urgency, each a level with its description, then
    the triager's choice of severity and priority and the rationale."""

    urgency = forms.TypedChoiceField(label="Urgency", coerce=int, widget=forms.RadioSelect)
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices)
    priority = forms.ChoiceField(label="Priority", choices=Priority.choices)
    rationale = _reason(
        "Rationale", "Why this severity and priority — and, where you chose away from the proposal, why."
    )

    def __init__(self, *args: object, levels: dict | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        words = levels_for(levels)
        dimensions = {}
        for name in DIMENSIONS:
            dimensions[name] = forms.TypedChoiceField(
                label=DIMENSION_LABELS[name],
                coerce=int,
                widget=forms.RadioSelect,
                choices=[(n, f"{n} · {label} — {text}") for n, (label, text) in enumerate(words[name], start=1)],
                error_messages={"required": f"Choose a level of {DIMENSION_LABELS[name].lower()}."},
            )
        self.fields = {**dimensions, **self.fields}
        self.fields["urgency"].choices = [
            (n, f"{n} · {label} — {text}") for n, (label, text) in enumerate(URGENCY_LEVELS, start=1)
        ]
        self.fields["urgency"].error_messages["required"] = "Choose the urgency."

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in DIMENSIONS}


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label="New priority", choices=Priority.choices)
    reason = _reason("Why the priority changes", "Recorded in the ledger.")


class ReprioritisationRequestForm(forms.Form):
    kind = forms.ChoiceField(label="Change", choices=ChangeKind.choices)
    to_value = forms.ChoiceField(
        label="To",
        choices=[*Severity.choices, *Priority.choices],
        help_text="A severity for a severity change, a priority for a priority change.",
    )
    reason = _reason("Why", "The manager reads this before deciding.")

    def clean(self) -> dict:
        data = super().clean()
        kind, value = data.get("kind"), data.get("to_value")
        if kind and value and (value in Severity.values) != (kind == ChangeKind.SEVERITY):
            self.add_error("to_value", f"Choose a {kind} for a change of {kind}.")
        return data


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")], widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text="Required when rejecting.",
    )


class DecisionTreeForm(forms.Form):
    source = forms.CharField(
        label="Decision tree",
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "monospace"}),
        max_length=20000,
        error_messages={"required": "Write at least one question with its answers."},
    )


class BreachReviewForm(forms.Form):
    cause = forms.ChoiceField(label="Cause category", choices=BreachCause.choices, widget=forms.RadioSelect)
    account = forms.CharField(
        label="What made the deadline slip",
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=MIN_ACCOUNT,
        max_length=4000,
        error_messages={"min_length": f"Say a little more (at least {MIN_ACCOUNT} characters)."},
    )

    def __init__(self, *args: object, people: list[User], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(str(p.pk), p.get_full_name() or p.username) for p in people]]
        self.people = {str(p.pk): p for p in people}
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{n}"] = forms.CharField(label=f"Corrective action {n}", required=False, max_length=300)
            self.fields[f"owner_{n}"] = forms.ChoiceField(label="Owner", required=False, choices=choices)
            self.fields[f"due_{n}"] = forms.DateField(
                label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def action_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"{name}_{n}"] for name in ("action", "owner", "due")] for n in range(1, ACTION_ROWS + 1)]

    def clean(self) -> dict:
        data = super().clean()
        actions: list[tuple[str, User, date]] = []
        for n in range(1, ACTION_ROWS + 1):
            text, owner, due = data.get(f"action_{n}"), data.get(f"owner_{n}"), data.get(f"due_{n}")
            if not (text or owner or due):
                continue
            if not (text and owner and due):
                self.add_error(f"action_{n}", "Give each action what is done, its owner and its due date.")
                continue
            actions.append((text, self.people[owner], due))
        if not actions and not self.errors:
            self.add_error("action_1", "Set at least one corrective action with its owner and due date.")
        data["actions"] = actions
        return data

    def field_for_refusal(self, exc: object) -> str | None:
        field = getattr(exc, "context", {}).get("field")
        return "action_1" if field == "actions" else field
