"""URLs of the response pages."""

from django.urls import path

from incidents.response.views import incident, review

urlpatterns = [
    path("response/roles/", incident.response_my_roles, name="response_my_roles"),
    path("response/reviews/", review.response_reviews, name="response_reviews"),
    path(
        "response/handovers/<int:assignment_id>/accept/",
        incident.response_handover_accept,
        name="response_handover_accept",
    ),
    path(
        "response/handovers/<int:assignment_id>/decline/",
        incident.response_handover_decline,
        name="response_handover_decline",
    ),
    path("response/notes/<int:note_id>/edit/", incident.response_note_edit, name="response_note_edit"),
    path("response/actions/<int:item_id>/done/", review.response_action_done, name="response_action_done"),
    path("incidents/<str:reference>/response/", incident.response_incident, name="response_incident"),
    path("incidents/<str:reference>/response/roles/", incident.response_role, name="response_role"),
    path("incidents/<str:reference>/response/notes/", incident.response_note, name="response_note"),
    path("incidents/<str:reference>/response/moments/", incident.response_moment, name="response_moment"),
    path("incidents/<str:reference>/response/message/", incident.response_message, name="response_message"),
    path("incidents/<str:reference>/status/", incident.response_status, name="response_status"),
    path("incidents/<str:reference>/post-incident-review/", review.response_review, name="response_review"),
    path(
        "incidents/<str:reference>/post-incident-review/accept/",
        review.response_review_accept,
        name="response_review_accept",
    ),
    path(
        "incidents/<str:reference>/post-incident-review/actions/",
        review.response_action_add,
        name="response_action_add",
    ),
]
