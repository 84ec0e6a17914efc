"""`manage.py checkpoint_ledger [--tenant SLUG]`: sign and store a checkpoint of each tenant's
audit chain now (beat does it every IWMS_LEDGER_CHECKPOINT_INTERVAL_SECONDS)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iwms.ledger_checkpoints import CheckpointStore, checkpoint_ledger
from iwms.models import Organisation


class Command(BaseCommand):
    help = "Sign (HMAC-SHA256, key outside the database) and append a checkpoint of each tenant's audit chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Slug of one tenant (default: every tenant).")

    def handle(self, *args: object, tenant: str | None = None, **options: object) -> None:
        tenants = None
        if tenant:
            tenants = list(Organisation.objects.filter(slug=tenant))
            if not tenants:
                raise CommandError(f"no tenant with slug {tenant!r}")
        store = CheckpointStore()
        run = checkpoint_ledger(tenants=tenants, store=store)
        for checkpoint in run.written:
            self.stdout.write(
                f"signed  {checkpoint.tenant}: event #{checkpoint.seq} (id {checkpoint.event_id}) {checkpoint.hash}"
            )
        for slug in run.unchanged:
            self.stdout.write(f"same    {slug}: no event since the last checkpoint")
        for broken in run.refused:
            self.stdout.write(f"REFUSED {broken}")
        self.stdout.write(f"checkpoints: {store.path}")
        if run.refused:
            raise CommandError(f"not signed, the chain does not continue from its last checkpoint: {run.refused[0]}")
