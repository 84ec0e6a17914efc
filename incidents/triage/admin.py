"""The triage slice's rows in the Django admin, read-only: they are written by the slice's
services only (triage, re-prioritisation, decision trees, breach post-mortems)."""

from django.contrib import admin

from incidents.triage.models import (
    BreachReview,
    CorrectiveAction,
    DecisionTree,
    ReprioritisationRequest,
    TriageRecord,
    TriageSettings,
)
from iwms.admin import ReadOnlyAdmin

for model in (TriageSettings, TriageRecord, ReprioritisationRequest, DecisionTree, BreachReview, CorrectiveAction):
    admin.site.register(model, ReadOnlyAdmin)
