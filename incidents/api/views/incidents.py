"""Reads for integrators: the incidents a token's account may see (the one visibility rule,
`incidents_visible_to`: for a source, those it reported), one incident, its timeline and its
steps. Another tenant's reference gets the same 404 as one that does not exist."""

from __future__ import annotations

from django.db.models import QuerySet

from arc.choices import TokenScope
from incidents.api.filters import IncidentFilter
from incidents.api.serializers import (
    IncidentDetailSerializer,
    IncidentSerializer,
    StepSerializer,
    TimelineEntrySerializer,
)
from incidents.api.views.base import ListApiView, RetrieveApiView
from incidents.core.selectors import SUBJECT, get_incident_for_user, incidents_visible_to, timeline_for
from incidents.models import Incident
from incidents.work.selectors import work_steps
from iwms.models import AuditEvent
from workflows.models import Step
from workflows.selectors import main_run


class IncidentListView(ListApiView):
    read_scope = TokenScope.INCIDENTS_READ
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator asks without a request user
            return Incident.objects.none()
        return incidents_visible_to(self.request.user).select_related("unit").order_by("-reported_at", "-pk")


class IncidentDetailView(RetrieveApiView):
    read_scope = TokenScope.INCIDENTS_READ
    serializer_class = IncidentDetailSerializer

    def get_object(self) -> Incident:
        return get_incident_for_user(self.request.user, self.kwargs["reference"])


class IncidentTimelineView(ListApiView):
    read_scope = TokenScope.INCIDENTS_READ
    serializer_class = TimelineEntrySerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return timeline_for(get_incident_for_user(self.request.user, self.kwargs["reference"]))


class IncidentStepsView(ListApiView):
    read_scope = TokenScope.INCIDENTS_READ
    serializer_class = StepSerializer
    pagination_class = None

    def get_queryset(self) -> list[Step]:  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):
            return Step.objects.none()
        incident = get_incident_for_user(self.request.user, self.kwargs["reference"])
        run = main_run(subject_type=SUBJECT, subject_id=incident.pk, tenant=incident.organisation_id)
        return work_steps(incident, run)
