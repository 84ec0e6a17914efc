"""Filters of the incident list (django-filter)."""

from __future__ import annotations

import django_filters

from incidents.choices import IncidentStatus, Severity, Source
from incidents.models import Incident


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    source_reference = django_filters.CharFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Incident
        fields = ["status", "severity", "source", "source_reference", "updated_since"]
