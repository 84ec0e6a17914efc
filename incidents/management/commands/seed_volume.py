"""`manage.py seed_volume --people N --events N`: bulk volume data for benchmarks."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.demo.volume import append_events, create_incidents, create_people, volume_tenant


class Command(BaseCommand):
    help = "Create volume data fast (bulk inserts): people in a deep organogram, incidents, audit events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", default="volume", help="Slug of the volume tenant (created if missing).")
        parser.add_argument("--people", type=int, default=0, help="People, each with a position and assignment.")
        parser.add_argument(
            "--incidents", type=int, default=0, help="Incidents across every lifecycle state (needs people: --people)."
        )
        parser.add_argument("--events", type=int, default=0, help="Audit events appended to the tenant's chain.")

    def handle(self, *args: object, tenant: str, people: int, incidents: int, events: int, **options: object) -> None:
        organisation = volume_tenant(tenant)
        started = time.perf_counter()
        rows = 0
        if people:
            rows += create_people(tenant=organisation, count=people, password=settings.IWMS_DEMO_PASSWORD)
        if incidents:
            try:
                rows += create_incidents(tenant=organisation, count=incidents)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if events:
            rows += append_events(tenant=organisation, count=events)
        elapsed = time.perf_counter() - started
        rate = rows / elapsed if elapsed else 0.0
        self.stdout.write(f"{rows} rows written for tenant {organisation.slug} in {elapsed:.1f} s ({rate:,.0f} rows/s)")
