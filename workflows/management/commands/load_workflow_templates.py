"""`manage.py load_workflow_templates --tenant SLUG [CODE ...]`: install the shipped workflow
templates into a tenant; a changed template becomes a new version, an unchanged one is kept."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from iwms.models import Organisation
from workflows.services.templates import library_codes, load_template_library


class Command(BaseCommand):
    help = "Install the shipped workflow templates into a tenant (idempotent; changes become new versions)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help=f"template codes (default: all of {', '.join(library_codes())})")
        parser.add_argument("--tenant", required=True, help="tenant slug")

    def handle(self, *args: object, codes: list[str], tenant: str, **options: object) -> None:
        organisation = Organisation.objects.filter(slug=tenant).first()
        if organisation is None:
            raise CommandError(f"no tenant with slug {tenant!r}")
        unknown = sorted(set(codes) - set(library_codes()))
        if unknown:
            raise CommandError(f"unknown template codes {unknown}; known: {', '.join(library_codes())}")
        for template, created in load_template_library(
            tenant=organisation, codes=codes or None, actor="system:load_workflow_templates"
        ):
            state = "installed" if created else "unchanged"
            self.stdout.write(f"{template.code:<28} v{template.version} {state} ({template.steps.count()} steps)")
