"""URLs of the triage slice, included by `incidents.urls`."""

from django.urls import path

from incidents.triage import views

urlpatterns = [
    path("triage/", views.triage_home, name="triage_home"),
    path("triage/breach-trend/", views.breach_trend_page, name="breach_trend"),
    path("triage/requests/<int:request_id>/decide/", views.triage_decide, name="triage_decide"),
    path("triage/breaches/<int:breach_id>/", views.breach_review, name="breach_review"),
    path("triage/categories/<int:category_id>/decision-tree/", views.decision_tree, name="decision_tree"),
    path("incidents/<str:reference>/triage/", views.triage_incident, name="triage_incident"),
    path("incidents/<str:reference>/triage/priority/", views.triage_priority, name="triage_priority"),
    path("incidents/<str:reference>/triage/request/", views.triage_request, name="triage_request"),
]
