"""Forms of the SLA clocks on the incident page: re-assessing the severity, marking it contained."""

from __future__ import annotations

from django import forms

from incidents.choices import Severity
from incidents.core.clocks import MIN_REASON
from incidents.core.severity import definitions_for
from incidents.sla.services.clock_changes import MIN_CONTAINMENT_NOTE


class SeverityForm(forms.Form):
    """Re-assess an incident's severity; the reason goes to the ledger with the change."""

    severity = forms.ChoiceField(label="New severity", choices=Severity.choices)
    reason = forms.CharField(
        label="Why the severity changes",
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=MIN_REASON,
        max_length=500,
        help_text="Recorded in the ledger. The open deadlines are recomputed from when it was reported (or last "
        "reopened); breaches already recorded stay recorded.",
        error_messages={
            "required": "Say why the severity changes.",
            "min_length": f"Say why the severity changes (at least {MIN_REASON} characters).",
        },
    )

    def __init__(self, *args: object, tenant: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # What each severity means in the incident's organisation (`incidents.severity`), shown beside the choice.
        definitions = definitions_for(tenant) if tenant is not None else {}
        self.severity_definitions = [(label, definitions[value]) for value, label in Severity.choices if definitions]


class ContainmentForm(forms.Form):
    """Mark the incident contained: the contain clock stops; how it was contained goes to the ledger."""

    note = forms.CharField(
        label="How was it contained?",
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=MIN_CONTAINMENT_NOTE,
        max_length=500,
        help_text="Recorded in the ledger with the time. The contain clock stops; the resolve clock runs on.",
        error_messages={
            "required": "Say how it was contained.",
            "min_length": f"Say how it was contained (at least {MIN_CONTAINMENT_NOTE} characters).",
        },
    )
