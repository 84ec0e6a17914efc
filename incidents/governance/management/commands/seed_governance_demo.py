"""`manage.py seed_governance_demo`: the demo tenant's organogram governance (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from incidents.demo.builder import DEMO_SLUG
from incidents.governance.demo import seed_governance_demo
from iwms.models import Organisation


class Command(BaseCommand):
    help = "Add the demo's organogram verification, HR transfer and structural finding."

    def handle(self, *args: object, **options: object) -> None:
        tenant = Organisation.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            self.stdout.write("No demo tenant; run seed_demo first.")
            return
        for line in seed_governance_demo(tenant=tenant):
            self.stdout.write(f"  {line}")
