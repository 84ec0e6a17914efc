"""Grant pages: the owner requests audit access through a form (errors next to fields, typed
input kept), a tenant admin issues, declines (with a reason) and revokes, all audited; and the
header shows each person only the links their role can use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.access.services import grants
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import AccessGrant
from iwms.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(make_incident, people):
    """Two incidents owned by the mining manager (the department head of the cast)."""
    made = []
    for n in range(2):
        incident = make_incident(title=f"Fall of ground number {n}")
        incident_workflows.start_incident_workflow(incident=incident)
        made.append(lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"]))
    return made


def request_form(people, incidents, **overrides):
    data = {
        "grantee": people["regulator"].pk,
        "scope": "incidents",
        "incidents": [incident.pk for incident in incidents],
        "purpose": "Section 54 inspection of falls of ground",
        "expires_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
    }
    data.update(overrides)
    return data


def test_the_owner_sees_the_link_on_the_incident_page_and_others_do_not(client, people, owned):
    url = reverse("incident_detail", args=[owned[0].reference])
    client.force_login(people["depthead"])
    page = client.get(url).content.decode()
    assert f"{reverse('grant_request')}?incident={owned[0].reference}" in page
    client.force_login(people["responsible"])
    assert "Request audit access" not in client.get(url).content.decode()


def test_the_owner_requests_a_grant_on_one_incident_and_it_is_audited(client, people, owned):
    client.force_login(people["depthead"])
    form_page = client.get(f"{reverse('grant_request')}?incident={owned[0].reference}")
    assert form_page.status_code == 200
    assert f'<option value="{owned[0].pk}" selected>' in form_page.content.decode()
    # Only auditors and regulators are offered as grantees.
    grantee_choices = form_page.context["form"].fields["grantee"].queryset
    assert {u.username for u in grantee_choices} == {"auditor", "regulator"}
    response = client.post(reverse("grant_request"), request_form(people, owned[:1]))
    assert response.status_code == 302
    grant = AccessGrant.objects.get()
    assert grant.status == "requested" and grant.requested_by == people["depthead"]
    assert list(grant.granted_incidents.values_list("incident_id", flat=True)) == [owned[0].pk]
    assert grant.expires_at.date() == timezone.localdate() + timedelta(days=10)
    assert AuditEvent.objects.filter(action="create", object_type="incidents.accessgrant", object_id=str(grant.pk))
    listed = client.get(reverse("grant_request")).content.decode()
    assert f"#{grant.pk}" in listed and "requested" in listed


def test_errors_are_shown_next_to_their_fields_and_typed_input_is_kept(client, people, owned):
    client.force_login(people["depthead"])
    response = client.post(
        reverse("grant_request"),
        request_form(people, [], purpose="Audit of the hanging-wall support standard", expires_on="2001-01-01"),
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["incidents"] == ["Choose at least one incident you own."]
    assert form.errors["expires_on"] == ["Choose today or a later day."]
    page = response.content.decode()
    assert 'id="id_incidents-error"' in page and "Audit of the hanging-wall support standard" in page
    # A subtree scope needs its category, next to that field.
    response = client.post(reverse("grant_request"), request_form(people, [], scope="subtree"))
    assert response.context["form"].errors["category"] == ["Choose the category whose incidents the grant covers."]
    assert not AccessGrant.objects.exists()


def test_someone_elses_incident_cannot_be_named(client, people, owned, make_incident):
    theirs = make_incident(title="Owned by someone else", owner=people["mnaidoo"])
    client.force_login(people["depthead"])
    response = client.post(reverse("grant_request"), request_form(people, [theirs]))
    assert response.status_code == 422 and "incidents" in response.context["form"].errors
    assert not AccessGrant.objects.exists()


def test_a_subtree_refused_by_the_service_shows_why_next_to_the_category(client, people, owned, fall_of_ground):
    # The fall-of-ground subtree holds incidents the mining manager owns; the responsible person owns none.
    client.force_login(people["responsible"])
    response = client.post(
        reverse("grant_request"),
        request_form(people, [], scope="subtree", category=fall_of_ground.pk),
    )
    assert response.status_code == 422
    assert "You own no incident in SAF.GEO.FOG" in response.context["form"].errors["category"][0]
    assert AuditEvent.objects.filter(action="access_denied", changes__code="grant.no_standing").exists()


@pytest.fixture
def requested(mine, people, owned):
    return grants.request_grant(
        tenant=mine,
        actor=people["depthead"],
        grantee=people["regulator"],
        purpose="Inspection",
        expires_at=timezone.now() + timedelta(days=5),
        incidents=owned[:1],
    )


def test_the_tenant_admin_issues_a_request_and_the_grantee_sees_it(client, people, requested, owned):
    client.force_login(people["admin"])
    page = client.get(reverse("manage_grants"))
    assert page.status_code == 200 and owned[0].reference in page.content.decode()
    assert client.post(reverse("grant_issue", args=[requested.pk])).status_code == 302
    requested.refresh_from_db()
    assert requested.is_live() and requested.issued_by == people["admin"]
    client.force_login(people["regulator"])
    assert client.get(reverse("portal_grant", args=[requested.pk])).status_code == 200


def test_declining_needs_a_reason_next_to_the_field_and_is_audited(client, people, requested):
    client.force_login(people["admin"])
    response = client.post(reverse("grant_decline", args=[requested.pk]), {f"decline-{requested.pk}-reason": ""})
    assert response.status_code == 422
    assert f'id="id_decline-{requested.pk}-reason-error"' in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == "requested"
    reason = "The inspection is covered by the group audit already."
    response = client.post(reverse("grant_decline", args=[requested.pk]), {f"decline-{requested.pk}-reason": reason})
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == "declined" and requested.revocation_reason == reason
    assert AuditEvent.objects.filter(object_id=str(requested.pk), message__startswith="Grant request declined").exists()
    # A declined request can no longer be issued.
    assert client.post(reverse("grant_issue", args=[requested.pk])).status_code == 409


def test_the_tenant_admin_revokes_a_live_grant(client, people, requested):
    grants.issue_grant(grant=requested, actor=people["admin"])
    client.force_login(people["admin"])
    response = client.post(reverse("grant_revoke", args=[requested.pk]), {f"revoke-{requested.pk}-reason": "Done."})
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == "revoked"
    client.force_login(people["regulator"])
    assert client.get(reverse("portal_grant", args=[requested.pk])).status_code in (403, 410)


def test_only_tenant_admins_manage_grants(client, people, requested):
    for username in ("depthead", "regulator", "reporter"):
        client.force_login(people[username])
        assert client.get(reverse("manage_grants")).status_code == 403
        assert client.post(reverse("grant_issue", args=[requested.pk])).status_code == 403
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_the_admin_page_query_count_does_not_grow_with_grants(
    client, mine, people, owned, django_assert_max_num_queries
):
    def add(count: int) -> None:
        for _ in range(count):
            grant = grants.request_grant(
                tenant=mine,
                actor=people["depthead"],
                grantee=people["auditor"],
                purpose="Audit",
                expires_at=timezone.now() + timedelta(days=5),
                incidents=owned,
            )
            grants.issue_grant(grant=grant, actor=people["admin"])
            grants.request_grant(
                tenant=mine,
                actor=people["depthead"],
                grantee=people["regulator"],
                purpose="Inspection",
                expires_at=timezone.now() + timedelta(days=5),
                incidents=owned,
            )

    add(1)
    client.force_login(people["admin"])
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("manage_grants"))
    add(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("manage_grants"))
    assert response.content.decode().count('data-testid="pending-grant"') == 7


# --- the header -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("reporter", ["nav-report"], ["nav-portal", "nav-provider-steps", "nav-grants"]),
        ("auditor", [], ["nav-report", "nav-portal", "nav-provider-steps", "nav-grants"]),
        ("regulator", ["nav-portal"], ["nav-report", "nav-grants"]),  # holds a grant
        ("provider", ["nav-provider-steps", "nav-report"], ["nav-portal", "nav-grants"]),  # providers report
        ("admin", ["nav-report", "nav-grants", "nav-security"], ["nav-portal", "nav-provider-steps"]),
    ],
)
def test_the_header_offers_only_what_the_role_can_use(client, people, requested, username, shown, hidden):
    grants.issue_grant(grant=requested, actor=people["admin"])  # to the regulator
    client.force_login(people[username])
    page = client.get(reverse("account")).content.decode()
    for testid in shown:
        assert f'data-testid="{testid}"' in page, testid
    for testid in hidden:
        assert f'data-testid="{testid}"' not in page, testid
    # Every link shown opens (a redirect is a landing page, never a refusal).
    links = {"nav-report": "report_start", "nav-portal": "portal", "nav-provider-steps": "portal_provider"}
    for testid in shown:
        if testid in links:
            assert client.get(reverse(links[testid])).status_code in (200, 302), testid


def test_the_header_costs_one_query(client, people, requested, django_assert_num_queries):
    from django.test import RequestFactory

    from incidents.core.navigation import navigation_for

    grants.issue_grant(grant=requested, actor=people["admin"])
    request = RequestFactory().get("/")
    request.user = people["regulator"]
    with django_assert_num_queries(1):
        first = navigation_for(request)
        again = navigation_for(request)
    assert first is again and first.portal and not first.may_report
