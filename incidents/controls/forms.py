"""The merge, split and un-merge forms."""

from __future__ import annotations

import re

from django import forms

from arc.cross_tenant import probe_other_tenants
from incidents.controls.policy import MIN_REASON
from incidents.core.selectors import incidents_visible_to
from incidents.models import Incident
from iwms.models import User

REASON_HELP = f"Why, in at least {MIN_REASON} characters: it goes to both incidents' timelines."


def _reason() -> forms.CharField:
    return forms.CharField(
        label="Reason", min_length=MIN_REASON, help_text=REASON_HELP, widget=forms.Textarea(attrs={"rows": 3})
    )


class MergeForm(forms.Form):
    """The incidents to merge (references), the surviving primary among them, and why."""

    references = forms.CharField(
        label="Incidents to merge",
        max_length=2000,
        help_text="References of every incident involved, the primary included, separated by spaces or commas.",
    )
    primary = forms.CharField(label="Surviving primary", max_length=32)
    reason = _reason()

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.incidents: list[Incident] = []

    def clean_references(self) -> list[str]:
        references = list(dict.fromkeys(re.findall(r"[A-Za-z]+-\d{4}-\d+", self.cleaned_data["references"].upper())))
        if len(references) < 2:
            raise forms.ValidationError("Name at least two incidents: the primary and one to merge into it.")
        found = {i.reference: i for i in incidents_visible_to(self.user).filter(reference__in=references)}
        unknown = [reference for reference in references if reference not in found]
        for reference in unknown:  # audited alike, and alerted when repeated (seed 002 §12.4)
            probe_other_tenants(self.user, Incident, reference=reference)
        if unknown:
            raise forms.ValidationError(f"No incident you may see has the reference {', '.join(unknown)}.")
        self.incidents = [found[reference] for reference in references]
        return references

    def clean(self) -> dict:
        cleaned = super().clean()
        primary = (cleaned.get("primary") or "").strip().upper()
        if self.incidents and primary not in {i.reference for i in self.incidents}:
            self.add_error("primary", "Choose the surviving primary among the incidents to merge.")
        cleaned["primary"] = primary
        return cleaned

    @property
    def primary_incident(self) -> Incident:
        return next(i for i in self.incidents if i.reference == self.cleaned_data["primary"])

    @property
    def others(self) -> list[Incident]:
        return [i for i in self.incidents if i.reference != self.cleaned_data["primary"]]


class SplitForm(forms.Form):
    """What goes to the derived incident, chosen item by item: nothing is implicit."""

    title = forms.CharField(label="Title of the new incident", min_length=5, max_length=200)
    pole_entities = forms.TypedMultipleChoiceField(
        label="POLE entities (moved)", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    evidence = forms.TypedMultipleChoiceField(
        label="Evidence (linked; it stays where it was collected)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    steps = forms.TypedMultipleChoiceField(
        label="Steps (linked)", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = _reason()

    def __init__(self, *args, choices: dict[str, list[tuple[int, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            if options:
                self.fields[name].choices = options
            else:  # nothing of this kind on the incident: nothing to choose
                del self.fields[name]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("pole_entities", "evidence", "steps") if name in self.fields):
            raise forms.ValidationError("Choose what goes to the new incident: nothing is split out implicitly.")
        return cleaned


class UnmergeForm(forms.Form):
    reason = _reason()


class KnownGapForm(forms.Form):
    source = forms.CharField(label="Unavailable source", min_length=3, max_length=200)
    impact = forms.CharField(
        label="What cannot be seen or verified", min_length=15, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveGapForm(forms.Form):
    resolution = forms.CharField(label="How it was closed", min_length=10, widget=forms.Textarea(attrs={"rows": 2}))
