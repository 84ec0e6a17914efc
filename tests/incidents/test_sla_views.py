"""The inbox, the header's unread count, the escalations page and the mitigation-note form:
anonymous, another tenant, the person concerned, and HTMX requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.choices import Severity
from incidents.models import BreachWarning, Escalation
from iwms.models import AuditEvent, Notification, User
from tests.incidents.test_sweep import sweep_at


@pytest.fixture
def outsider(mine):
    from incidents.demo.builder import build_second_tenant

    build_second_tenant(password="pw-demo-12345")
    return User.objects.get(username="karoo.md")


@pytest.fixture
def warned(make_incident):
    """A SEV-2 incident past its acknowledge warning: three notifications and a mitigation request."""
    incident = make_incident(severity=Severity.SEV2)
    sweep_at(incident.next_clock_at)
    return incident


@pytest.fixture
def escalated(make_incident):
    incident = make_incident(severity=Severity.SEV1)
    sweep_at(incident.resolve_due_at + timedelta(seconds=1))
    return Escalation.objects.get(incident=incident)


# --- inbox ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_the_inbox(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_anonymous_badge_poll_gets_nothing_to_swap(client):
    assert client.get(reverse("inbox_badge"), HTTP_HX_REQUEST="true").status_code == 204
    assert client.get(reverse("inbox_badge")).status_code == 302


def test_inbox_lists_only_the_persons_own_notifications(client, warned, people, outsider):
    client.force_login(people["responsible"])
    page = client.get(reverse("inbox")).content.decode()
    assert page.count('data-testid="notification"') == 2  # the warning and the mitigation request
    assert "Mitigation note needed" in page and "2 unread" in page
    client.force_login(outsider)
    page = client.get(reverse("inbox")).content.decode()
    assert 'data-testid="notification"' not in page and "No notifications yet" in page
    foreign = Notification.objects.filter(recipient=people["responsible"]).first()
    assert client.get(reverse("inbox_open", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("inbox_read"), {"notification": foreign.pk}).status_code == 404
    assert Notification.objects.get(pk=foreign.pk).read_at is None


def test_header_shows_the_unread_count(client, warned, people):
    client.force_login(people["supervisor"])
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-count">1<' in page
    assert 'hx-get="/inbox/badge/"' in page and "every 60s" in page


def test_badge_fragment_for_htmx(client, warned, people):
    client.force_login(people["responsible"])
    response = client.get(reverse("inbox_badge"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith("<a ") and "<html" not in body
    assert 'data-testid="unread-count">2<' in body and response["Cache-Control"] == "no-store"


def test_htmx_mark_read_returns_the_row_and_tells_the_badge(client, warned, people):
    client.force_login(people["responsible"])
    item = Notification.objects.get(recipient=people["responsible"], event="breach.warning")
    response = client.post(reverse("inbox_read"), {"notification": item.pk}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith(f'<tr id="notification-{item.pk}"')
    assert "data-unread" not in body and response["HX-Trigger"] == "inbox-changed"
    assert Notification.objects.get(pk=item.pk).read_at is not None


def test_mark_all_read_and_open_marks_read(client, warned, people):
    client.force_login(people["responsible"])
    item = Notification.objects.get(recipient=people["responsible"], event="mitigation.requested")
    response = client.get(reverse("inbox_open", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == item.url
    assert Notification.objects.get(pk=item.pk).read_at is not None
    assert client.post(reverse("inbox_read")).status_code == 302
    assert not Notification.objects.filter(recipient=people["responsible"], read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people["supervisor"], read_at__isnull=True).exists()


def test_inbox_query_count_does_not_grow_with_rows(client, make_incident, people, django_assert_max_num_queries):
    client.force_login(people["supervisor"])
    first = make_incident(severity=Severity.SEV3)
    sweep_at(first.next_clock_at)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("inbox"))
    for _ in range(5):
        sweep_at(make_incident(severity=Severity.SEV3).next_clock_at)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("inbox"))


# --- escalations --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_escalations(client, escalated):
    for response in (
        client.get(reverse("escalation_list")),
        client.post(reverse("escalation_acknowledge", args=[escalated.pk])),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_tenant_and_other_people_cannot_see_or_acknowledge(client, escalated, people, outsider):
    for person in (outsider, people["depthead"]):
        client.force_login(person)
        assert "Nothing has escalated to you" in client.get(reverse("escalation_list")).content.decode()
        assert client.post(reverse("escalation_acknowledge", args=[escalated.pk])).status_code == 404
    assert Escalation.objects.get(pk=escalated.pk).acknowledged_at is None


def test_the_person_escalated_to_sees_and_acknowledges_it(client, escalated, people):
    client.force_login(people["supervisor"])
    page = client.get(reverse("escalation_list")).content.decode()
    assert "1 waiting for your acknowledgement" in page and escalated.incident.reference in page
    assert 'data-testid="failure-to-complete"' in page
    response = client.post(reverse("escalation_acknowledge", args=[escalated.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("escalation_list")
    page = client.get(reverse("escalation_list")).content.decode()
    assert "Nothing waiting for acknowledgement" in page and 'data-testid="acknowledged"' in page


def test_htmx_acknowledge_returns_the_row_and_a_second_click_is_refused(client, escalated, people):
    client.force_login(people["supervisor"])
    url = reverse("escalation_acknowledge", args=[escalated.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith(f'<article id="escalation-{escalated.pk}"')
    assert "acknowledged" in body and response["HX-Trigger"] == "inbox-changed"
    assert '<p id="escalation-summary" data-testid="escalation-summary" hx-swap-oob="true">Nothing waiting' in body
    again = client.post(url, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and 'data-error-code="escalation.already_acknowledged"' in again.content.decode()
    assert again["HX-Retarget"] == "#refusals"
    assert AuditEvent.objects.filter(changes__code="escalation.already_acknowledged").count() == 1


# --- mitigation note ------------------------------------------------------------------------


def test_mitigation_form_only_for_the_responsible_person(client, warned, people, outsider):
    warning = BreachWarning.objects.get(incident=warned)
    url = reverse("mitigation_note", args=[warning.pk])
    assert client.get(url).status_code == 302
    for person in (outsider, people["supervisor"]):
        client.force_login(person)
        assert client.get(url).status_code == 404
    client.force_login(people["responsible"])
    page = client.get(url).content.decode()
    assert "Record the mitigation note" in page and '<label for="id_note">Mitigation note</label>' in page


def test_mitigation_note_is_checked_stored_and_audited(client, warned, people):
    warning = BreachWarning.objects.get(incident=warned)
    url = reverse("mitigation_note", args=[warning.pk])
    client.force_login(people["responsible"])
    short = client.post(url, {"note": "on it"})
    assert short.status_code == 422 and "at least 20 characters" in short.content.decode()
    note = "Second crew from Shift B barricades and scales before 10:00."
    response = client.post(url, {"note": note})
    assert response.status_code == 302 and response["Location"] == reverse("incident_detail", args=[warned.reference])
    assert BreachWarning.objects.get(pk=warning.pk).mitigation_note == note
    event = AuditEvent.objects.filter(object_id=str(warned.pk), action="update").latest("seq")
    assert event.message.endswith(note) and event.changes["mitigation_note"] == ["", note]
