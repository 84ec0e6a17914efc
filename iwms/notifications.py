"""The in-app inbox and its e-mails: writing notifications (once per recipient, event and
object), e-mailing each at most once after the writing transaction commits — at once, or in
the recipient's hourly or daily digest — and the reads and read-marks of a person's inbox.

E-mails go out from a Celery task that receives notification ids (`iwms.tasks`), through
Django's e-mail backend (console in the embedded default, SMTP when EMAIL_HOST is set), each
rendered from `templates/notifications/<event>.txt`. Digests go out from a beat task
(`send_digests`), one e-mail per person with everything not yet e-mailed to them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, models, transaction
from django.db.models import Min, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from iwms.audit import record_event
from iwms.bulk_rows import recordset, rows_json
from iwms.choices import AuditAction, NotificationDelivery
from iwms.errors import PolicyError
from iwms.models import Notification, User

logger = logging.getLogger(__name__)

# Ids per e-mail task: small enough for a quick task and a modest broker message.
EMAIL_CHUNK = 200


@dataclass(slots=True)  # not frozen: a sweep builds tens of thousands, and frozen ones cost twice as much to make
class Draft:
    """A notification to write: who gets it, about which event on which object, and what it says."""

    recipient_id: int
    event: str
    object_type: str
    object_id: str
    subject: str
    body: str
    url: str
    tenant_id: int


def draft(*, recipient: User | int, event: str, obj: models.Model, subject: str, body: str, url: str) -> Draft:
    recipient_id = recipient if isinstance(recipient, int) else recipient.pk
    return Draft(
        recipient_id=recipient_id,
        event=event,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        subject=subject[:200],
        body=body,
        url=url[:300],
        tenant_id=obj.organisation_id,
    )


def notify(*, recipient: User, event: str, obj: models.Model, subject: str, body: str, url: str) -> Notification:
    """Put one notification in `recipient`'s inbox (the existing one if this event on this
    object already reached them) and e-mail it once the transaction commits."""
    item = draft(recipient=recipient, event=event, obj=obj, subject=subject, body=body, url=url)
    notification, created = Notification.objects.get_or_create(
        recipient_id=item.recipient_id,
        event=item.event,
        object_type=item.object_type,
        object_id=item.object_id,
        defaults={"organisation_id": item.tenant_id, "subject": item.subject, "body": item.body, "url": item.url},
    )
    if created:
        schedule_emails([notification.pk])
    return notification


def notify_many(drafts: Iterable[Draft]) -> list[int]:
    """Write many notifications at once; one that already exists (same recipient, event and
    object) is left as it is. Returns the ids of the new ones, which are e-mailed after commit."""
    unique = {(d.recipient_id, d.event, d.object_type, d.object_id): d for d in drafts}
    if not unique:
        return []
    if connection.vendor == "postgresql":
        ids = _insert_new_postgresql(list(unique.values()))
    else:
        ids = _insert_new_orm(unique)
    schedule_emails(ids)
    return ids


# One statement for any number of rows; the constraint decides what is new and RETURNING says so.
# A message sent to several people travels once, with its recipients. (Built from constants only.)
_MESSAGE_COLUMNS = (
    ("organisation_id", "bigint"),
    ("recipients", "json"),
    ("event", "text"),
    ("object_type", "text"),
    ("object_id", "text"),
    ("subject", "text"),
    ("body", "text"),
    ("url", "text"),
)
_INSERT_NEW_SQL = f"""
INSERT INTO iwms_notification (organisation_id, recipient_id, event, object_type, object_id, subject, body, url,
                               created_at, updated_at)
SELECT t.organisation_id, r.recipient_id::bigint, t.event, t.object_type, t.object_id, t.subject, t.body, t.url, %s, %s
  FROM {recordset(_MESSAGE_COLUMNS)}
 CROSS JOIN LATERAL json_array_elements_text(t.recipients) AS r(recipient_id)
ON CONFLICT (recipient_id, event, object_type, object_id) DO NOTHING
RETURNING id
"""  # noqa: S608


def _insert_new_postgresql(drafts: list[Draft]) -> list[int]:
    now = timezone.now()
    messages: dict[tuple[Any, ...], list[int]] = {}
    for d in drafts:
        key = (d.tenant_id, d.event, d.object_type, d.object_id, d.subject, d.body, d.url)
        messages.setdefault(key, []).append(d.recipient_id)
    rows = [
        {
            "organisation_id": tenant_id,
            "recipients": recipients,
            "event": event,
            "object_type": object_type,
            "object_id": object_id,
            "subject": subject,
            "body": body,
            "url": url,
        }
        for (tenant_id, event, object_type, object_id, subject, body, url), recipients in messages.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_NEW_SQL, [now, now, rows_json(rows)])
        return [row[0] for row in cursor.fetchall()]


def _insert_new_orm(unique: dict[tuple[int, str, str, str], Draft]) -> list[int]:
    """Insert, then read back through the unique (recipient, event, object) index the rows
    not yet e-mailed (SQLite's bulk insert does not say which rows were new)."""
    Notification.objects.bulk_create(
        [
            Notification(
                organisation_id=d.tenant_id,
                recipient_id=d.recipient_id,
                event=d.event,
                object_type=d.object_type,
                object_id=d.object_id,
                subject=d.subject,
                body=d.body,
                url=d.url,
            )
            for d in unique.values()
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    keys = Q()
    by_kind: dict[tuple[str, str], tuple[set[int], set[str]]] = {}
    for recipient_id, event, object_type, object_id in unique:
        recipients, object_ids = by_kind.setdefault((event, object_type), (set(), set()))
        recipients.add(recipient_id)
        object_ids.add(object_id)
    for (event, object_type), (recipients, object_ids) in by_kind.items():
        keys |= Q(
            recipient_id__in=sorted(recipients), event=event, object_type=object_type, object_id__in=sorted(object_ids)
        )
    rows = Notification.objects.filter(keys, emailed_at__isnull=True).values_list(
        "pk", "recipient_id", "event", "object_type", "object_id"
    )
    return [pk for pk, *key in rows if tuple(key) in unique]


def schedule_emails(notification_ids: Sequence[int]) -> None:
    """Queue the e-mails of these notifications for after the current transaction commits."""
    if not notification_ids:
        return
    from iwms.tasks import send_notification_emails

    chunks = [list(notification_ids[i : i + EMAIL_CHUNK]) for i in range(0, len(notification_ids), EMAIL_CHUNK)]

    def enqueue() -> None:
        for chunk in chunks:
            # A short argsrepr: Celery would otherwise build a repr of every id for its logs.
            send_notification_emails.apply_async(args=[chunk], argsrepr=f"[{len(chunk)} notification ids]")

    transaction.on_commit(enqueue)


def send_emails(notification_ids: Sequence[int]) -> int:
    """E-mail the notifications not yet e-mailed whose recipient has an address and wants each
    one at once (a digest reader's wait for `send_digests`). Each is claimed (emailed_at set)
    before it is sent, so two workers never both send it; one that fails to send is released
    for the task's retry. Returns how many were sent."""
    pending = list(
        Notification.objects.filter(
            pk__in=notification_ids,
            emailed_at__isnull=True,
            recipient__notification_delivery=NotificationDelivery.IMMEDIATE,
        )
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("pk")
    )
    sent = 0
    failed: Exception | None = None
    with get_connection() as connection:
        for notification in pending:
            claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue
            try:
                message(notification, connection=connection).send()
                sent += 1
            except Exception as exc:  # noqa: BLE001 - released for a retry, re-raised below
                logger.warning("e-mail of notification %s failed: %s", notification.pk, exc)
                Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
                failed = exc
    if failed is not None:
        raise failed
    return sent


def absolute_url(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else f"{settings.IWMS_BASE_URL}{url}"


def message(notification: Notification, *, connection: object = None) -> EmailMessage:
    """The e-mail of a notification, from the template of its event."""
    body = render_to_string(
        f"notifications/{notification.event}.txt",
        {"notification": notification, "recipient": notification.recipient, "link": absolute_url(notification.url)},
    )
    return EmailMessage(
        subject=f"[IWMS] {notification.subject}",
        body=body,
        to=[notification.recipient.email],
        connection=connection,
    )


# --- digests ---------------------------------------------------------------------------------

DIGEST_PERIODS = {NotificationDelivery.HOURLY: timedelta(hours=1), NotificationDelivery.DAILY: timedelta(days=1)}
DIGEST_LISTED = 100  # the newest this many are written out in full; the e-mail counts the rest


def due_digests(now: datetime | None = None) -> list[int]:
    """The people whose digest is due: they read digests, have an address, and the oldest
    notification not yet e-mailed to them is at least their period old. So each person gets
    at most one digest per period, and nothing waits much longer than one."""
    now = now or timezone.now()
    due: set[int] = set()
    for delivery, period in DIGEST_PERIODS.items():
        rows = (
            Notification.objects.filter(emailed_at__isnull=True, recipient__notification_delivery=delivery)
            .exclude(recipient__email="")
            .values("recipient_id")
            .annotate(oldest=Min("created_at"))
            .filter(oldest__lte=now - period)
            .values_list("recipient_id", flat=True)
        )
        due.update(rows)
    return sorted(due)


def send_digests(*, recipient_ids: Sequence[int] | None = None, now: datetime | None = None) -> int:
    """Send the due digests (or, given `recipient_ids`, these people's pending notifications
    whatever their age): one e-mail per person with every notification not yet e-mailed to
    them, claimed first as `send_emails` claims one. Returns how many e-mails went out."""
    now = now or timezone.now()
    people = list(recipient_ids) if recipient_ids is not None else due_digests(now)
    sent = 0
    failed: Exception | None = None
    with get_connection() as connection:
        for recipient_id in people:
            try:
                sent += _send_digest(recipient_id, now=now, connection=connection)
            except Exception as exc:  # noqa: BLE001 - the others still go; re-raised below
                logger.warning("digest for user %s failed: %s", recipient_id, exc)
                failed = exc
    if failed is not None:
        raise failed
    return sent


def _send_digest(recipient_id: int, *, now: datetime, connection: object) -> int:
    recipient = User.objects.filter(pk=recipient_id).exclude(email="").first()
    if recipient is None:
        return 0
    waiting = Notification.objects.filter(recipient_id=recipient_id, emailed_at__isnull=True)
    ids = list(waiting.values_list("pk", flat=True))
    if not ids:
        return 0
    # Claim with this run's own time, then send what this run claimed (a second worker claims none).
    Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    claimed = list(Notification.objects.filter(pk__in=ids, emailed_at=now).order_by("-created_at", "-id"))
    if not claimed:
        return 0
    try:
        digest_message(recipient, claimed, connection=connection).send()
    except Exception:
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(emailed_at=None)
        raise
    return 1


def digest_message(recipient: User, items: list[Notification], *, connection: object = None) -> EmailMessage:
    listed = items[:DIGEST_LISTED]
    body = render_to_string(
        "notifications/digest.txt",
        {
            "recipient": recipient,
            "items": [{"notification": n, "link": absolute_url(n.url)} for n in listed],
            "more": len(items) - len(listed),
            "inbox": absolute_url("/inbox/"),
            "delivery": recipient.get_notification_delivery_display(),
        },
    )
    count = len(items)
    return EmailMessage(
        subject=f"[IWMS] {count} notification{'s' if count != 1 else ''}: {items[0].subject}"[:200],
        body=body,
        to=[recipient.email],
        connection=connection,
    )


def set_delivery(*, user: User, delivery: str, actor: User) -> User:
    """Choose how `user` gets notifications by e-mail, audited. Switching to immediate sends
    what was waiting for a digest, as one digest, after commit."""
    if delivery not in NotificationDelivery.values:
        raise PolicyError(
            "validation.invalid",
            "Choose immediate e-mails, an hourly digest or a daily digest.",
            tenant=user.organisation_id,
            field="notification_delivery",
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = locked.notification_delivery
        if before == delivery:
            return locked
        locked.notification_delivery = delivery
        locked.save(update_fields=["notification_delivery", "updated_at"])
        if locked.organisation_id:
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"Notification e-mails: {locked.get_notification_delivery_display()}.",
                changes={"notification_delivery": [before, delivery]},
            )
        if delivery == NotificationDelivery.IMMEDIATE:
            from iwms.tasks import send_notification_digests

            transaction.on_commit(lambda: send_notification_digests.apply_async(kwargs={"recipient_ids": [user.pk]}))
    user.notification_delivery = delivery
    return locked


# --- the inbox -----------------------------------------------------------------------------


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    if not user.is_authenticated or user.organisation_id is None:
        return Notification.objects.none()
    return Notification.objects.for_tenant(user.organisation_id).filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given); reading is not
    a governed action, so it is not audited. Returns how many changed."""
    unread = notifications_for(user).filter(read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now(), updated_at=timezone.now())


def mark_read_for_object(*, user: User, obj: models.Model) -> int:
    """Mark read the user's notifications about `obj` (they have acted on it)."""
    return (
        notifications_for(user)
        .filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), read_at__isnull=True)
        .update(read_at=timezone.now(), updated_at=timezone.now())
    )
