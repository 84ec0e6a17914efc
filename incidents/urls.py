"""URLs of the incidents app."""

from django.urls import path

from incidents.views import home, incident, report

urlpatterns = [
    path("", home.home, name="home"),
    path("report/", report.report_start, name="report_start"),
    path("report/new/", report.report_new, name="report_new"),
    path("report/<uuid:token>/categories/", report.category_search, name="report_category_search"),
    path("report/<uuid:token>/pole-row/", report.pole_row, name="report_pole_row"),
    path("report/<uuid:token>/<slug:step>/", report.report_step, name="report_step"),
    path("incidents/mine/", incident.my_items, name="my_items"),
    path("incidents/<str:reference>/", incident.incident_detail, name="incident_detail"),
    path("incidents/<str:reference>/acknowledge/", incident.incident_acknowledge, name="incident_acknowledge"),
]
