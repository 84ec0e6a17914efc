"""Register beat's organogram-governance task as a PeriodicTask row on databases where the
iwms 0005 registration ran before the task existed (the same idempotent registration)."""

import importlib

from django.db import migrations

registration = importlib.import_module("iwms.migrations.0005_register_periodic_tasks")


def register(apps, schema_editor):
    registration.register(apps, schema_editor)


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name="organogram-governance").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("iwms", "0005_register_periodic_tasks"),
    ]

    operations = [migrations.RunPython(register, unregister)]
