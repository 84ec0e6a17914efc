"""The assurance dashboard with many incidents and a long ledger: server time per request of
the tenant's dashboard (Django test client, signed in as the tenant admin, the whole middleware
stack, a quarter — every seeded incident in its period) against a minimal view that runs a direct
aggregate over the same incidents (count, mean time to acknowledge and to resolve per severity,
the way a dashboard without rollups would), through the same stack, in the same run. Then the
incremental fold: 10,000 new transitions in the ledger folded into the rollups in one batch.

Sizes: with PostgreSQL and without --quick, the issue's 1,000,000 incidents and 10,000,000 ledger
events; else 100,000 and 200,000 (--quick: 50,000 and 50,000). `IWMS_BENCH_ASSURANCE_INCIDENTS`
and `IWMS_BENCH_ASSURANCE_EVENTS` override them."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Avg, Count, F
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path
from django.utils import timezone

from bench.results import Result
from incidents.assurance.rollups import fold_ledger_batch, rebuild
from incidents.choices import IncidentStatus
from incidents.demo.builder import build_demo_tenant
from incidents.demo.volume import append_events, create_incidents
from incidents.models import Incident
from iwms.audit import Entry, record_events
from iwms.choices import AuditAction
from iwms.models import User

TRANSITIONS = 10_000
DAYS = 91


def direct_aggregate_view(request: HttpRequest) -> HttpResponse:
    """The baseline: the figures by severity straight from the incidents of the period."""
    user = request.user
    since = timezone.now() - timedelta(days=DAYS)
    rows = list(
        Incident.objects.filter(organisation_id=user.organisation_id, reported_at__gte=since)
        .order_by()
        .values("severity")
        .annotate(
            n=Count("pk"),
            mtta=Avg(F("acknowledged_at") - F("reported_at")),
            mttr=Avg(F("closed_at") - F("reported_at")),
        )
    )
    return HttpResponse(f"{len(rows)} rows", content_type="text/plain")


urlpatterns = [path("bench/direct-aggregate/", direct_aggregate_view), path("", include("iwms.urls"))]


def _sizes(quick: bool) -> tuple[int, int]:
    full = not quick and connection.vendor == "postgresql"
    incidents = 1_000_000 if full else 50_000 if quick else 100_000
    events = 10_000_000 if full else 50_000 if quick else 200_000
    return (
        int(os.environ.get("IWMS_BENCH_ASSURANCE_INCIDENTS", incidents)),
        int(os.environ.get("IWMS_BENCH_ASSURANCE_EVENTS", events)),
    )


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def _rates(client: Client, urls: tuple[str, str], requests: int) -> tuple[float, float]:
    """Requests per second of each URL, asked alternately so the machine's load weighs on both."""
    spent = [0.0, 0.0]
    for _ in range(3):
        for url in urls:
            assert client.get(url).status_code == 200
    for _ in range(requests):
        for side, url in enumerate(urls):
            started = time.perf_counter()
            client.get(url)
            spent[side] += time.perf_counter() - started
    return requests / spent[0], requests / spent[1]


NEXT = {
    IncidentStatus.OPEN: IncidentStatus.IN_PROGRESS,
    IncidentStatus.IN_PROGRESS: IncidentStatus.HALF_CLOSED,
    IncidentStatus.HALF_CLOSED: IncidentStatus.PENDING_CLOSURE,
    IncidentStatus.PENDING_CLOSURE: IncidentStatus.CLOSED,
}


def _transitions(tenant, count: int) -> int:
    """`count` incidents not closed each move one state on (acknowledged, submitted, review
    accepted, closed), each with its ledger event, as the lifecycle writes them."""
    rows = list(
        Incident.objects.filter(organisation=tenant, status__in=list(NEXT))
        .order_by("pk")
        .values_list("pk", "status")[:count]
    )
    now = timezone.now()
    with transaction.atomic():
        for status, target in NEXT.items():
            ids = [pk for pk, current in rows if current == status]
            extra = {"acknowledged_at": now} if status == IncidentStatus.OPEN else {}
            if target == IncidentStatus.CLOSED:
                extra = {"closed_at": now}
            Incident.objects.filter(pk__in=ids).update(status=target, **extra)
        record_events(
            tenant=tenant,
            entries=[
                Entry(
                    action=AuditAction.TRANSITION,
                    object_type="incidents.incident",
                    object_id=str(pk),
                    changes={"status": [status, NEXT[status]]},
                    actor="system:bench",
                )
                for pk, status in rows
            ],
        )
    return len(rows)


def run(*, quick: bool = False) -> list[Result]:
    incidents, events = _sizes(quick)
    tenant = build_demo_tenant(password=settings.IWMS_DEMO_PASSWORD)
    started = time.perf_counter()
    create_incidents(tenant=tenant, count=incidents)
    append_events(tenant=tenant, count=events)
    seeded = time.perf_counter() - started
    print(f"assurance: {incidents:,} incidents and {events:,} ledger events seeded in {seeded:.0f} s")
    started = time.perf_counter()
    folded = rebuild(tenant_id=tenant.pk)
    print(f"assurance: rollups rebuilt from {folded:,} incidents in {time.perf_counter() - started:.1f} s")
    _analyze()

    admin = User.objects.get(organisation=tenant, username="admin")
    client = Client()
    client.force_login(admin)
    page_url = "/assurance/tenant/?period=quarter"
    requests = 20 if quick else 50
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        body = client.get(page_url).content.decode()
        assert 'data-testid="kpi-card-volume"' in body
        page_rate, direct_rate = _rates(client, (page_url, "/bench/direct-aggregate/"), requests)
    page_ms = 1000 / page_rate
    print(f"assurance: dashboard {page_ms:.1f} ms/request, direct aggregate {1000 / direct_rate:.1f} ms/request")

    moved = _transitions(tenant, TRANSITIONS)
    assert moved == TRANSITIONS, f"only {moved} incidents not closed: seed more"
    started = time.perf_counter()
    batch = fold_ledger_batch(tenant_id=tenant.pk, batch=TRANSITIONS)
    fold_seconds = time.perf_counter() - started
    assert batch.events == TRANSITIONS and batch.incidents == TRANSITIONS, batch
    print(f"assurance: {TRANSITIONS:,} transitions folded into the rollups in {fold_seconds:.2f} s (target ≤ 2 s)")
    return [
        Result(
            f"assurance dashboard ({incidents // 1000:,}k incidents)",
            "/s",
            page_rate,
            direct_rate,
            target_ratio=10.0 if connection.vendor == "postgresql" else None,
            note=f"({connection.vendor}; {page_ms:.0f} ms/request, target ≤ 300 ms)",
        ),
        Result(
            f"rollup fold of {TRANSITIONS:,} transitions",
            "/s",
            TRANSITIONS / fold_seconds,
            TRANSITIONS / 2.0,
            target_ratio=1.0 if connection.vendor == "postgresql" else None,
            note=f"({connection.vendor}; {fold_seconds:.2f} s, target ≤ 2 s: baseline is the target's rate)",
        ),
    ]
