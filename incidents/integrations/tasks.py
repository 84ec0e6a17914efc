"""Background work of integrations: delivering webhooks, retried with exponential backoff."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from incidents.integrations.choices import DeliveryStatus


@shared_task(bind=True, name="incidents.integrations.tasks.deliver_webhook", acks_late=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str:
    from incidents.integrations.services.webhooks import attempt_delivery

    delivery = attempt_delivery(delivery_id)
    if delivery.status == DeliveryStatus.FAILED:
        raise self.retry(countdown=settings.IWMS_WEBHOOK_RETRY_SECONDS * 2 ** (delivery.attempts - 1))
    return delivery.status
