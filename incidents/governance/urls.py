from django.urls import path

from incidents.governance.views import chart, processes, structure

app_name = "governance"

urlpatterns = [
    path("organogram/", structure.organogram, name="organogram"),
    path("organogram/units/<slug:code>/", structure.unit_detail, name="unit"),
    path("organogram/units/<slug:code>/chart.svg", chart.unit_chart, name="unit_chart"),
    path("organogram/units/<slug:code>/export.csv", chart.unit_csv, name="unit_csv"),
    path("organogram/units/<slug:code>/positions/", structure.position_add, name="position_add"),
    path("organogram/units/<slug:code>/verification/", processes.verification, name="verification"),
    path("organogram/positions/<slug:code>/move/", structure.position_move, name="position_move"),
    path("organogram/positions/<slug:code>/retire/", structure.position_retire, name="position_retire"),
    path("organogram/positions/<slug:code>/appoint/", structure.position_appoint, name="position_appoint"),
    path("organogram/positions/<slug:code>/end/<slug:kind>/", structure.position_end, name="position_end"),
    path("organogram/hr-events/", processes.hr_events, name="hr_events"),
    path("organogram/findings/", processes.findings, name="findings"),
]
