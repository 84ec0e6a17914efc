"""The home page for anonymous visitors, tenant users, outsiders and HTMX requests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.demo.builder import build_demo_tenant, build_second_tenant
from iwms.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    build_demo_tenant(password="pw-demo-12345")
    build_second_tenant(password="pw-demo-12345")


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_names_the_person_their_position_and_supervisor(client, demo):
    client.force_login(User.objects.get(username="responsible"))
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Sipho Dlamini" in body
    assert "Shift Boss, Shift A" in body
    assert "Pieter Botha — Mine Overseer" in body


def test_user_of_another_tenant_sees_only_their_own_organisation(client, demo):
    client.force_login(User.objects.get(username="karoo.valuer"))
    body = client.get(reverse("home")).content.decode()
    assert "Karoo Diamond Traders" in body
    assert "Kimberlite" not in body
    assert "Ayesha Patel — Sales Manager" in body


def test_outsider_without_position_is_told_which_role_they_act_in(client, demo):
    client.force_login(User.objects.get(username="provider"))
    body = client.get(reverse("home")).content.decode()
    assert "You hold no position" in body
    assert "external provider" in body


def test_htmx_request_gets_the_same_page_with_vary_header(client, demo):
    client.force_login(User.objects.get(username="reporter"))
    response = client.get(reverse("home"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Thabo Nkosi" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_home_page_query_count_is_fixed(client, demo, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="reporter"))
    # 13 for the page, +1 the "Closure queue" nav check, +1 the unread-notification count in the header
    with django_assert_max_num_queries(15):
        client.get(reverse("home"))


def test_responses_carry_a_request_id(client):
    response = client.get(reverse("login"), headers={"X-Request-ID": "abc-123"})
    assert response["X-Request-ID"] == "abc-123"
    generated = client.get(reverse("login"), headers={"X-Request-ID": "bad id; drop table"})
    assert generated["X-Request-ID"] != "bad id; drop table" and len(generated["X-Request-ID"]) == 32
