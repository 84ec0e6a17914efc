from django.urls import path

from incidents.assurance import views

urlpatterns = [
    path("assurance/", views.assurance_home, name="assurance_home"),
    path("assurance/tenant/", views.dashboard_page, name="assurance_tenant"),
    path("assurance/tenant/maturity.json", views.maturity_roadmap, name="assurance_tenant_roadmap"),
    path("assurance/tenant/<slug:table>.csv", views.dashboard_csv, name="assurance_tenant_csv"),
    path("assurance/units/<int:unit_id>/", views.dashboard_page, name="assurance_unit"),
    path("assurance/units/<int:unit_id>/maturity.json", views.maturity_roadmap, name="assurance_unit_roadmap"),
    path("assurance/units/<int:unit_id>/<slug:table>.csv", views.dashboard_csv, name="assurance_unit_csv"),
]
