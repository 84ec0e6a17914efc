"""The Celery application; configuration comes from Django settings (CELERY_* names)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iwms.settings")

app = Celery("iwms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The incident slices keep their tasks beside their services.
app.autodiscover_tasks(["incidents.access", "incidents.sla", "incidents.work"])


def ensure_embedded_broker() -> None:
    """Create the embedded (filesystem) broker's folders, which kombu expects to exist: anything
    that may send a task on a fresh machine (`runembedded`, `seed_demo`) calls this first."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        for key in ("data_folder_in", "control_folder"):
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)


@beat_init.connect
def _one_beat_only(sender: object, **kwargs: object) -> None:
    from iwms.beat_guard import hold_the_beat_lock

    hold_the_beat_lock()
