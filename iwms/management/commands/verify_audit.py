"""`manage.py verify_audit [--tenant SLUG]`: prove every tenant's audit chain, and that it
still matches every signed checkpoint kept outside the database."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from iwms.audit import ChainReport, verify_chain, verify_chain_since
from iwms.ledger_checkpoints import CheckpointReport, CheckpointStore, verify_checkpoints
from iwms.models import AuditChainHead, AuditEvent, Organisation


class Command(BaseCommand):
    help = (
        "Recompute the audit ledger's hash chains and check every signed checkpoint (its MAC, and that the "
        "event it names still has its hash); exit non-zero naming the first event that no longer matches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Slug of one tenant (default: every tenant).")
        parser.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="Walk each chain from its last signed checkpoint that still matches, not from genesis: "
            "the cost follows the events appended since (a full walk stays the default).",
        )

    def handle(
        self, *args: object, tenant: str | None = None, since_checkpoint: bool = False, **options: object
    ) -> None:
        tenants = Organisation.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"no tenant with slug {tenant!r}")
        tenants = list(tenants)
        store = CheckpointStore()
        try:
            checkpoints = verify_checkpoints(tenants=None if not tenant else tenants, store=store)
        except ImproperlyConfigured as exc:
            raise CommandError(f"checkpoints cannot be verified: {exc}") from exc
        broken: list[object] = []
        for line in checkpoints.unattributed(tenants):
            self.stdout.write(f"BROKEN  {line}")
            broken.append(line)
        for organisation in tenants:
            failures = checkpoints.failures_of(organisation)
            report = self._walk(organisation, checkpoints, since_checkpoint and not failures)
            if not report.ok:
                self.stdout.write(f"BROKEN  {report.broken}")
                broken.append(report.broken)
            if failures:
                first = failures[0]
                after = checkpoints.last_match_before(organisation, first.seq)
                self.stdout.write(f"BROKEN  {first}")
                self.stdout.write(
                    f"        the change lies in events #{after + 1}..#{first.seq} (#{after} still matches)"
                    if after
                    else f"        the change lies in events #1..#{first.seq}"
                )
                for other in failures[1:]:
                    self.stdout.write(f"        also {other}")
                broken.append(first)
            if report.ok and not failures:
                matched = len(checkpoints.matched.get(organisation.pk, []))
                signed = f"{matched} checkpoint{'s' if matched != 1 else ''} match" if matched else "no checkpoint yet"
                walked = f"{report.events} events verified"
                if since_checkpoint and matched:
                    walked = (
                        f"{report.events} events since checkpoint #{max(checkpoints.matched[organisation.pk])} verified"
                    )
                self.stdout.write(f"ok      {organisation.slug}: {walked}, {signed}")
        self.stdout.write(f"checkpoints: {store.path}")
        if broken:
            raise CommandError(f"audit chain broken: {broken[0]}")

    @staticmethod
    def _walk(organisation: Organisation, checkpoints: CheckpointReport, incremental: bool) -> ChainReport:
        """The full walk from genesis, or the walk from the tenant's last checkpoint that still
        matches (its hash is the one signed outside the database)."""
        matched = checkpoints.matched.get(organisation.pk, [])
        if not incremental or not matched:
            return verify_chain(organisation)
        seq = max(matched)
        anchor = AuditEvent.objects.get(organisation=organisation, seq=seq).hash
        broken = verify_chain_since(organisation, seq=seq, hash=anchor)
        head = AuditChainHead.objects.filter(organisation=organisation).values_list("last_seq", flat=True).first()
        return ChainReport(organisation.slug, (head or seq) - seq, broken)
