"""`/api/v1/`: events from sources, reads for integrators, the OpenAPI schema and its docs
(served from the installed drf-spectacular-sidecar, no CDN)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from incidents.api.views.events import EventsView
from incidents.api.views.hr_events import HrEventsView
from incidents.api.views.incidents import IncidentDetailView, IncidentListView, IncidentStepsView, IncidentTimelineView

urlpatterns = [
    path("events/", EventsView.as_view(), name="api_events"),
    path("hr-events/", HrEventsView.as_view(), name="api_hr_events"),
    path("incidents/", IncidentListView.as_view(), name="api_incidents"),
    path("incidents/<str:reference>/", IncidentDetailView.as_view(), name="api_incident"),
    path("incidents/<str:reference>/timeline/", IncidentTimelineView.as_view(), name="api_incident_timeline"),
    path("incidents/<str:reference>/steps/", IncidentStepsView.as_view(), name="api_incident_steps"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
