"""`manage.py load_category_template --tenant SLUG TEMPLATE`: load an industry category tree."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.intake.services.categories import available_templates, load_industry_template
from iwms.errors import PolicyError
from iwms.models import Organisation
from organogram.models import Position


class Command(BaseCommand):
    help = "Load one of the shipped industry category templates into a tenant (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("template", nargs="?", help=f"one of: {', '.join(available_templates())}")
        parser.add_argument("--tenant", help="tenant slug")
        parser.add_argument("--custodian", help="code of the custodian position")
        parser.add_argument("--list", action="store_true", help="list the templates and exit")

    def handle(
        self,
        *args: object,
        template: str | None,
        tenant: str | None,
        custodian: str | None,
        list: bool,
        **options: object,
    ) -> None:
        if list or not template:
            for key, name in available_templates().items():
                self.stdout.write(f"{key:<24} {name}")
            return
        organisation = Organisation.objects.filter(slug=tenant).first()
        if organisation is None:
            raise CommandError(f"no tenant with slug {tenant!r}")
        position = None
        if custodian:
            position = Position.objects.for_tenant(organisation).filter(code=custodian).first()
            if position is None:
                raise CommandError(f"no position {custodian!r} in {organisation.slug}")
        try:
            report = load_industry_template(
                tenant=organisation, key=template, custodian=position, actor="system:load_category_template"
            )
        except PolicyError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{report.template}: {report.created} categories created, {report.kept} already present")
