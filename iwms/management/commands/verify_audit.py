"""`manage.py verify_audit [--tenant SLUG]`: prove every tenant's audit chain."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iwms.audit import verify_chain
from iwms.models import Organisation


class Command(BaseCommand):
    help = "Recompute the audit ledger's hash chains; exit non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Slug of one tenant (default: every tenant).")

    def handle(self, *args: object, tenant: str | None = None, **options: object) -> None:
        tenants = Organisation.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"no tenant with slug {tenant!r}")
        broken = []
        for organisation in tenants:
            report = verify_chain(organisation)
            if report.ok:
                self.stdout.write(f"ok      {organisation.slug}: {report.events} events verified")
            else:
                self.stdout.write(f"BROKEN  {report.broken}")
                broken.append(report.broken)
        if broken:
            raise CommandError(f"audit chain broken: {broken[0]}")
