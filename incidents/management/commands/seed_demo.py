"""`manage.py seed_demo`: create the demo tenants and logins (idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from incidents.demo.builder import (
    DEMO_SLUG,
    SECOND_SLUG,
    build_demo_tenant,
    build_platform_admin,
    build_second_tenant,
)
from incidents.demo.drill import seed_escalation_drill
from incidents.demo.grants import seed_demo_grants
from incidents.demo.incidents import seed_demo_incidents
from incidents.demo.organogram_spec import DEMO_LOGINS
from iwms.celery import ensure_embedded_broker
from iwms.models import Organisation, User


class Command(BaseCommand):
    help = "Create the demo diamond-mining tenant, a second small tenant and one login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any tenant exists.")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args: object, if_empty: bool = False, quiet_logins: bool = False, **options: object) -> None:
        ensure_embedded_broker()  # the demo's notifications send their e-mails through the broker
        password = settings.IWMS_DEMO_PASSWORD
        if if_empty and Organisation.objects.exists():
            self.stdout.write("Tenants already exist; demo data left as it is.")
        else:
            if not Organisation.objects.filter(slug=DEMO_SLUG).exists():
                tenant = build_demo_tenant(password=password)
                self.stdout.write(self.style.SUCCESS(f"Created demo tenant {tenant.name} ({tenant.slug})."))
                for incident in seed_demo_incidents(tenant=tenant):
                    self.stdout.write(f"  demo incident {incident.reference}: {incident.title}")
                drill = seed_escalation_drill(tenant=tenant)
                if drill is not None:
                    self.stdout.write(
                        f"  escalation drill {drill.reference}: late in 2 minutes, then it escalates by itself to "
                        "the supervisor, the department head and the top (watch it at "
                        f"/incidents/{drill.reference}/ as 'supervisor')"
                    )
                for grant in seed_demo_grants(tenant=tenant):
                    self.stdout.write(
                        f"  grant #{grant.pk} for {grant.grantee.username}: {grant.category.code} and below, "
                        f"until {grant.expires_at:%Y-%m-%d} (see /portal/)"
                    )
                # Organogram governance lives in an app above this one: run by its command's name.
                call_command("seed_governance_demo", stdout=self.stdout)
            if not Organisation.objects.filter(slug=SECOND_SLUG).exists():
                tenant = build_second_tenant(password=password)
                self.stdout.write(self.style.SUCCESS(f"Created second tenant {tenant.name} ({tenant.slug})."))
            if not User.objects.filter(username="platform").exists():
                build_platform_admin(password=password)
        if not quiet_logins:
            self.stdout.write(format_logins(password))


def format_logins(password: str) -> str:
    width = max(len(username) for username, _ in DEMO_LOGINS)
    lines = [f"Demo logins (password for all: {password}):"]
    lines += [f"  {username.ljust(width)}  {role}" for username, role in DEMO_LOGINS]
    lines.append("  karoo.md   a user of the second tenant, Karoo Diamond Traders")
    return "\n".join(lines)
