"""Data: the main workflow of an incident closed before its workflow followed it stays open;
resolve it as of its incident's closure (the same outcome `lifecycle.close_workflow` gives
new closures). Reversing leaves them resolved: nothing to undo that matters."""

from django.db import migrations
from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast

RESOLUTION = "Resolved with its incident's closure (data migration 0011)."


def resolve_main_runs(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    WorkflowRun = apps.get_model("workflows", "WorkflowRun")
    # One statement: the runs and their incidents' closure times matched in the database.
    closed = Incident.objects.filter(status="closed").annotate(key=Cast("pk", CharField()))
    WorkflowRun.objects.filter(
        subject_type="incidents.incident", kind="main", status="open", subject_id__in=closed.values("key")
    ).update(
        status="resolved",
        resolution=RESOLUTION,
        resolved_at=Subquery(closed.filter(key=OuterRef("subject_id")).values("closed_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0010_severity_definitions"),
        ("workflows", "0001_initial"),
    ]

    operations = [migrations.RunPython(resolve_main_runs, migrations.RunPython.noop)]
