"""`manage.py verify_pack FILE.zip`: check an audit pack offline; exit 0 when it verifies, 1 otherwise."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from incidents.access.packs import verify_pack


class Command(BaseCommand):
    help = "Verify an audit pack: every manifest hash and the ledger slice's hash links. Exit 1 on the first problem."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", help="Path of the audit pack zip.")

    def handle(self, *args: Any, **options: Any) -> None:
        verdict = verify_pack(options["pack"])
        if verdict.ok:
            self.stdout.write(str(verdict))
            return
        self.stderr.write(str(verdict))
        sys.exit(1)
