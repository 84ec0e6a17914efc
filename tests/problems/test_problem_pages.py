"""The problem pages: the list and its filters within a query budget, raising (with the
similar-problem warning next to its checkbox, and from an incident), the actions, and the
incident page's problem panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.problems.choices import ProblemStatus
from incidents.problems.models import Problem
from incidents.problems.services import lifecycle
from tests.problems.conftest import ROCKFALL

pytestmark = pytest.mark.django_db
LIST_QUERY_BUDGET = 20


def test_the_list_shows_problems_within_a_budget_that_does_not_grow(
    client, raise_one, people, django_assert_max_num_queries
):
    raise_one()
    client.force_login(people["reporter"])
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        response = client.get(reverse("problems:list"))
    assert response.status_code == 200 and response.content.decode().count('data-testid="problem-row"') == 1
    for n in range(4):
        raise_one(
            title=f"Distinct fault number {n} zz{n}",
            description=f"Unrelated words q{n} w{n} e{n}",
            similar_confirmed=True,
        )
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        response = client.get(reverse("problems:list"))
    assert response.content.decode().count('data-testid="problem-row"') == 5


def test_the_known_error_filter_is_the_known_error_register(client, raise_one, people):
    known = lifecycle.record_workaround(problem=raise_one(), actor=people["supervisor"], workaround="Bar down first.")
    raise_one(
        title="Pump trips on level 10", description="The dewatering pump trips twice a shift", similar_confirmed=True
    )
    client.force_login(people["reporter"])
    body = client.get(reverse("problems:list"), {"known_errors": "on"}).content.decode()
    assert known.reference in body and body.count('data-testid="problem-row"') == 1


def test_raising_like_an_active_problem_shows_it_and_asks_for_confirmation(client, raise_one, people, fall_of_ground):
    first = raise_one()
    client.force_login(people["reporter"])
    data = {**ROCKFALL, "category": fall_of_ground.pk}
    response = client.post(reverse("problems:new"), data)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="similar-problems"' in body and first.reference in body
    assert "problem.similar_exists" in body and 'id="id_similar_confirmed-error"' in body
    response = client.post(reverse("problems:new"), {**data, "similar_confirmed": "on"})
    created = Problem.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("problems:detail", args=[created.reference])


def test_raise_a_problem_from_an_incident_carries_its_facts_and_links_it(client, make_incident, people):
    incident = make_incident()
    client.force_login(people["responsible"])
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert 'data-testid="raise-problem-from-incident"' in page
    form = client.get(reverse("problems:new"), {"incident": incident.reference})
    assert form.context["form"].initial["title"] == incident.title
    data = {**form.context["form"].initial, "incident": incident.reference, "category": incident.category_id}
    client.post(reverse("problems:new"), data)
    problem = Problem.objects.get()
    assert problem.raised_from == incident and problem.linked_incident_count == 1
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert 'data-testid="incident-problem"' in page and problem.reference in page


def test_link_to_problem_from_the_incident_page(client, raise_one, make_incident, people):
    problem = raise_one()
    incident = make_incident()
    client.force_login(people["responsible"])
    response = client.post(reverse("problems:incident_link", args=[incident.reference]), {"problem": problem.reference})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.linked_incident_count == 1


def test_closing_inside_the_window_is_refused_on_the_page(client, raise_one, people):
    problem = lifecycle.start_investigation(problem=raise_one(), actor=people["supervisor"])
    problem = lifecycle.resolve_problem(problem=problem, actor=people["supervisor"], root_cause="c", resolution="r")
    client.force_login(people["depthead"])
    page = client.get(reverse("problems:detail", args=[problem.reference])).content.decode()
    assert 'data-testid="close-blocked"' in page and "stability window" in page
    response = client.post(reverse("problems:close", args=[problem.reference]))
    assert response.status_code == 409 and "stability window" in response.content.decode()
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.RESOLVED


def test_resolving_without_a_root_cause_says_so_next_to_the_field(client, raise_one, people):
    problem = lifecycle.start_investigation(problem=raise_one(), actor=people["supervisor"])
    client.force_login(people["supervisor"])
    response = client.post(reverse("problems:resolve", args=[problem.reference]), {"root_cause": "", "resolution": "x"})
    assert response.status_code == 422 and 'id="id_root_cause-error"' in response.content.decode()


def test_link_an_incident_from_the_problem_page_and_see_the_recurrence(client, raise_one, make_incident, people):
    problem = lifecycle.start_investigation(problem=raise_one(), actor=people["supervisor"])
    lifecycle.resolve_problem(
        problem=problem,
        actor=people["supervisor"],
        root_cause="c",
        resolution="r",
        now=timezone.now() - timedelta(days=1),
    )
    incident = make_incident()
    client.force_login(people["responsible"])
    response = client.post(reverse("problems:link", args=[problem.reference]), {"incident": incident.reference})
    assert response.status_code == 302
    page = client.get(reverse("problems:detail", args=[problem.reference])).content.decode()
    assert 'data-testid="recurrence-badge"' in page


def test_anonymous_goes_to_sign_in_and_other_tenants_see_nothing(client, raise_one, people):
    from django.contrib.auth import get_user_model

    from incidents.demo.builder import build_second_tenant

    problem = raise_one()
    url = reverse("problems:detail", args=[problem.reference])
    assert client.get(url)["Location"].startswith("/accounts/login/")
    build_second_tenant(password="pw-demo-12345")
    client.force_login(get_user_model().objects.get(username="karoo.md"))
    assert client.get(url).status_code == 404
    assert problem.reference not in client.get(reverse("problems:list")).content.decode()


def test_a_refusal_to_an_htmx_request_goes_to_the_refusal_slot(client, raise_one, people):
    problem = raise_one()
    client.force_login(people["reporter"])
    response = client.post(reverse("problems:start", args=[problem.reference]), HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["HX-Retarget"] == "#refusals"
