"""Per-person notification e-mails (issue 13): immediate, or an hourly or daily digest that
beat sends as one e-mail of everything not yet e-mailed. The inbox row is written either way;
nothing is e-mailed twice; the choice is made on the account page and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from iwms import notifications
from iwms.choices import NotificationDelivery
from iwms.models import AuditEvent, Notification
from iwms.tasks import send_notification_digests
from tests.factories.kernel import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def notify(person, n: int, *, minutes_ago: int = 0) -> Notification:
    """A breach warning about the `n`th object (a colleague stands in for it: one row per object)."""
    subject, _ = type(person).objects.get_or_create(
        username=f"subject-{person.pk}-{n}", defaults={"organisation": person.organisation}
    )
    item = notifications.notify(
        recipient=person,
        event="breach.warning",
        obj=subject,
        subject=f"Warning {n}",
        body=f"Deadline {n} is at risk.",
        url=f"/incidents/INC-2026-{n:06d}/",
    )
    if minutes_ago:
        Notification.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return item


def test_immediate_readers_get_each_notification_once_after_commit(django_capture_on_commit_callbacks):
    person = UserFactory(email="thabo@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify(person, 1)
        notify(person, 1)  # the same event on the same object: no second row, no second e-mail
    assert Notification.objects.filter(recipient=person).count() == 1
    assert [m.subject for m in mail.outbox] == ["[IWMS] Warning 1"]
    assert notifications.due_digests() == []


def test_an_hourly_reader_gets_inbox_rows_at_once_and_one_digest_an_hour(django_capture_on_commit_callbacks):
    person = UserFactory(email="pieter@example.org", notification_delivery=NotificationDelivery.HOURLY)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(1, 6):
            notify(person, n)
    assert Notification.objects.filter(recipient=person, emailed_at__isnull=True).count() == 5  # inbox, no e-mail
    assert mail.outbox == []
    assert send_notification_digests() == 0  # the oldest is not an hour old yet

    Notification.objects.filter(recipient=person, subject="Warning 1").update(
        created_at=timezone.now() - timedelta(minutes=61)
    )
    assert notifications.due_digests() == [person.pk]
    assert send_notification_digests() == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [person.email] and digest.subject.startswith("[IWMS] 5 notifications")
    assert all(f"Warning {n}" in digest.body for n in range(1, 6))
    assert "http://127.0.0.1:8000/incidents/INC-2026-000003/" in digest.body
    assert not Notification.objects.filter(recipient=person, emailed_at__isnull=True).exists()

    assert send_notification_digests() == 0  # nothing left: no empty digest, nothing twice
    notify(person, 6, minutes_ago=30)
    assert send_notification_digests() == 0  # the next one waits for its own hour
    assert len(mail.outbox) == 1


def test_a_daily_reader_waits_a_day_and_people_without_an_address_get_nothing():
    daily = UserFactory(email="nomvula@example.org", notification_delivery=NotificationDelivery.DAILY)
    silent = UserFactory(email="", notification_delivery=NotificationDelivery.HOURLY)
    notify(daily, 1, minutes_ago=120)
    notify(silent, 1, minutes_ago=120)
    assert notifications.due_digests() == []
    Notification.objects.filter(recipient=daily).update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    assert notifications.due_digests() == [daily.pk]
    assert notifications.send_digests() == 1
    assert [m.to for m in mail.outbox] == [[daily.email]]
    assert Notification.objects.get(recipient=silent).emailed_at is None


def test_a_failed_digest_is_released_for_the_next_run(monkeypatch):
    person = UserFactory(email="x@example.org", notification_delivery=NotificationDelivery.HOURLY)
    notify(person, 1, minutes_ago=90)

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    with pytest.raises(OSError):
        notifications.send_digests()
    assert Notification.objects.get(recipient=person).emailed_at is None
    monkeypatch.undo()
    assert notifications.send_digests() == 1


def test_the_account_page_sets_the_digest_audited_and_switching_back_sends_what_waited(
    client, django_capture_on_commit_callbacks
):
    person = UserFactory(email="sipho@example.org")
    client.force_login(person)
    page = client.get(reverse("account")).content.decode()
    assert 'name="notification_delivery" value="immediate" checked' in page
    assert client.post(reverse("notification_settings"), {"notification_delivery": "daily"}).status_code == 302
    person.refresh_from_db()
    assert person.notification_delivery == "daily"
    event = AuditEvent.objects.get(object_type="iwms.user", object_id=str(person.pk), action="update")
    assert event.changes["notification_delivery"] == ["immediate", "daily"] and event.actor == person

    bad = client.post(reverse("notification_settings"), {"notification_delivery": "weekly"}, follow=True)
    assert "Choose immediate e-mails" in bad.content.decode()
    person.refresh_from_db()
    assert person.notification_delivery == "daily"

    notify(person, 1)
    notify(person, 2)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notification_settings"), {"notification_delivery": "immediate"})
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("[IWMS] 2 notifications")
