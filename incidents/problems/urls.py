from django.urls import path

from incidents.problems.views import actions, pages

app_name = "problems"

urlpatterns = [
    path("problems/", pages.problem_list, name="list"),
    path("problems/new/", pages.problem_new, name="new"),
    path("problems/<str:reference>/", pages.problem_detail, name="detail"),
    path("problems/<str:reference>/start/", actions.problem_start, name="start"),
    path("problems/<str:reference>/workaround/", actions.problem_workaround, name="workaround"),
    path("problems/<str:reference>/resolve/", actions.problem_resolve, name="resolve"),
    path("problems/<str:reference>/close/", actions.problem_close, name="close"),
    path("problems/<str:reference>/reopen/", actions.problem_reopen, name="reopen"),
    path("problems/<str:reference>/link/", actions.problem_link_incident, name="link"),
    path("incidents/<str:reference>/problem-link/", actions.incident_link_problem, name="incident_link"),
]
