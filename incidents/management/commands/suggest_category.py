"""`manage.py suggest_category --tenant SLUG "text"`: the three most likely categories as JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.intake.proposals import ENGINE, VERSION
from incidents.intake.services.proposals import proposer_for
from iwms.models import Organisation


class Command(BaseCommand):
    help = "Propose categories for a report's free text, with scores and the words that drove them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text")
        parser.add_argument("--tenant", required=True)
        parser.add_argument("-k", type=int, default=3)

    def handle(self, *args: object, text: str, tenant: str, k: int, **options: object) -> None:
        organisation = Organisation.objects.filter(slug=tenant).first()
        if organisation is None:
            raise CommandError(f"no tenant with slug {tenant!r}")
        proposer = proposer_for(organisation)
        result = {
            "engine": ENGINE,
            "version": VERSION,
            "history_size": proposer.history_size,
            "proposals": [p.as_dict() for p in proposer.propose(text, k=k)],
        }
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
