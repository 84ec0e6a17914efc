"""A benchmark for the runner's tests: it builds the demo tenant, as report_confirm and
closure_queue both do, so two runs of it collide unless each has data of its own."""

from __future__ import annotations

import os

from django.conf import settings

from bench.results import Result
from incidents.demo.builder import build_demo_tenant
from incidents.models import Incident
from iwms.models import Organisation


def run(*, quick: bool = False) -> list[Result]:
    assert not Organisation.objects.exists(), "another benchmark's tenants are in this database"
    assert "IWMS_BENCH_TOUCHED" not in os.environ, "another benchmark's process state is in this process"
    os.environ["IWMS_BENCH_TOUCHED"] = "1"
    tenant = build_demo_tenant(password=settings.IWMS_DEMO_PASSWORD)
    incidents = Incident.objects.for_tenant(tenant).count()
    return [Result("demo tenant built", "n", 1, 1, note=f"{incidents} incidents, quick={quick}")]
