"""The response pages: a refused input is shown next to its field, and the lists read in a
fixed number of queries however many rows they show."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from incidents.response.choices import Moment, RoleKind
from incidents.response.services import moments, review, roles


def test_a_moment_before_the_incident_is_refused_next_to_its_field(client, sev1, people):
    roles.assign_role(incident=sev1, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"])
    client.force_login(people["supervisor"])
    early = (sev1.occurred_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("response_moment", args=[sev1.reference]), {"moment": "detected", "at": early})
    assert response.status_code == 422
    assert 'id="id_at-error"' in response.text and "(validation.invalid)" in response.text


def test_the_review_list_and_my_roles_read_in_fixed_queries(
    client, make_incident, adopted, people, django_assert_max_num_queries
):
    def one_more():
        incident = make_incident(severity="sev2")
        roles.assign_role(
            incident=incident, role=RoleKind.COMMANDER, holder=people["supervisor"], actor=people["depthead"]
        )
        moments.record_moment(incident=incident, moment=Moment.RESOLVED, actor=people["supervisor"])
        review.add_action_item(
            review=incident.post_incident_review,
            actor=people["supervisor"],
            description="Check the rope",
            owner=people["zndlovu"],
            due_at=None,
        )

    client.force_login(people["supervisor"])

    def measure() -> dict[str, int]:
        queries = {}
        for name in ("response_reviews", "response_my_roles"):
            with django_assert_max_num_queries(25) as captured:
                assert client.get(reverse(name)).status_code == 200
            queries[name] = len(captured.captured_queries)
        return queries

    one_more()
    with_one = measure()
    for _ in range(3):
        one_more()
    assert measure() == with_one
