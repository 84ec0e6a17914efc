"""Register beat's periodic tasks (the SLA sweep every minute, the worker heartbeat) as
django-celery-beat PeriodicTask rows, so the database scheduler has them from the first
`migrate` on, visible and switchable in the admin, never made by hand. Beat brings them up to
date from `CELERY_BEAT_SCHEDULE` each time it starts; this migration only creates what is
missing."""

import json

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        every = max(1, int(float(entry["schedule"])))
        interval = IntervalSchedule.objects.filter(every=every, period="seconds").first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=every, period="seconds")
        PeriodicTask.objects.create(
            name=name,
            task=entry["task"],
            interval=interval,
            args="[]",
            kwargs="{}",
            headers=json.dumps({}),
            expire_seconds=entry.get("options", {}).get("expire_seconds"),
            description="Registered by the iwms migration 0005; beat keeps it in step with CELERY_BEAT_SCHEDULE.",
        )
    # Tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(settings.CELERY_BEAT_SCHEDULE)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("iwms", "0004_user_session_generation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
