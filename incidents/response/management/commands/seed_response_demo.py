"""`manage.py seed_response_demo`: major-incident response for the demo tenant (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from incidents.demo.builder import DEMO_SLUG
from incidents.response.demo import seed_major_incident
from iwms.models import Organisation


class Command(BaseCommand):
    help = "Adopt major-incident response in the demo tenant and run its demo SEV-1."

    def handle(self, *args: object, **options: object) -> None:
        tenant = Organisation.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            self.stdout.write("No demo tenant; run seed_demo first.")
            return
        incident = seed_major_incident(tenant=tenant)
        if incident is None:
            self.stdout.write("The demo's major incident exists already.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo major incident {incident.reference}: {incident.title}"))
