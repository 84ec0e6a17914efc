"""Forms of the SLA clocks on the incident page: re-assessing the severity."""

from __future__ import annotations

from django import forms

from incidents.choices import Severity
from incidents.services.clocks import MIN_REASON


class SeverityForm(forms.Form):
    """Re-assess an incident's severity; the reason goes to the ledger with the change."""

    severity = forms.ChoiceField(label="New severity", choices=Severity.choices)
    reason = forms.CharField(
        label="Why the severity changes",
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=MIN_REASON,
        max_length=500,
        help_text="Recorded in the ledger. The open deadlines are recomputed from when it was reported; "
        "breaches already recorded stay recorded.",
        error_messages={
            "required": "Say why the severity changes.",
            "min_length": f"Say why the severity changes (at least {MIN_REASON} characters).",
        },
    )
