"""`manage.py rebuild_kpi_rollups [--tenant SLUG]`: recreate the KPI facts and rollups from the
incidents (after a restore, or when a KPI's definition changed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from incidents.assurance.rollups import rebuild
from iwms.models import Organisation


class Command(BaseCommand):
    help = "Recreate the KPI facts and daily rollups of one tenant (or all) from the incidents."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", help="Slug of the tenant; all tenants when left out.")

    def handle(self, *args: Any, tenant: str | None = None, **options: Any) -> None:
        tenants = Organisation.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        for organisation in tenants:
            count = rebuild(tenant_id=organisation.pk)
            self.stdout.write(f"{organisation.slug}: {count} incidents folded into the KPI rollups.")
