"""The closure queue page with a million incidents in the database: server time per request of
/queue/closure/ for the demo supervisor (Django test client, signed in, through the whole
middleware stack), against a minimal view that runs the page's own list query — the same single
SQL, taken from the page's queryset — through a raw cursor and returns a trivial response,
through the same stack, in the same run.

The incidents are bulk-seeded into the demo tenant across every lifecycle state (the volume
seeding of `seed_volume`); of the pending ones whose responsible person reports to the
supervisor, a realistic few hundred are kept pending, each with its workflow and a satisfied
review, and the rest are closed."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path
from django.utils import timezone

from bench.results import Result
from incidents.choices import IncidentStatus
from incidents.closure.selectors import closure_queue_for
from incidents.core.routing import decision_scope
from incidents.demo.builder import build_demo_tenant
from incidents.demo.volume import create_incidents
from incidents.models import Incident
from iwms.models import User
from workflows.choices import RunKind, Verdict
from workflows.models import Review, WorkflowRun

PENDING_FOR_SUPERVISOR = 300
PAGE_SIZE = 25
QUEUE_SQL: dict[str, Any] = {}


def queue_sql_view(request: HttpRequest) -> HttpResponse:
    """The baseline: the page's list query and nothing else."""
    with connection.cursor() as cursor:
        cursor.execute(QUEUE_SQL["sql"], QUEUE_SQL["params"])
        rows = cursor.fetchall()
    return HttpResponse(f"{len(rows)} rows", content_type="text/plain")


urlpatterns = [path("bench/queue-sql/", queue_sql_view), path("", include("iwms.urls"))]


def _seed(total: int) -> tuple[User, list[int]]:
    tenant = build_demo_tenant(password=settings.IWMS_DEMO_PASSWORD)
    supervisor = User.objects.get(organisation=tenant, username="supervisor")
    started = time.perf_counter()
    create_incidents(tenant=tenant, count=total)
    print(f"closure queue: {total:,} incidents seeded in {time.perf_counter() - started:.0f} s")
    people = decision_scope(supervisor).person_ids
    pending = list(
        Incident.objects.filter(organisation=tenant, status=IncidentStatus.PENDING_CLOSURE, responsible_id__in=people)
        .exclude(reporter=supervisor)  # what they reported is decided above them
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    keep, close = pending[:PENDING_FOR_SUPERVISOR], pending[PENDING_FOR_SUPERVISOR:]
    close += list(
        Incident.objects.filter(
            organisation=tenant, status=IncidentStatus.PENDING_CLOSURE, responsible_id__in=people, reporter=supervisor
        ).values_list("pk", flat=True)
    )
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(close), 5000):
            Incident.objects.filter(pk__in=close[start : start + 5000]).update(
                status=IncidentStatus.CLOSED, closed_at=now - timedelta(hours=1), next_clock_at=None
            )
        runs = WorkflowRun.objects.bulk_create(
            [
                WorkflowRun(
                    organisation=tenant,
                    kind=RunKind.MAIN,
                    subject_type="incidents.incident",
                    subject_id=str(pk),
                    title="Volume workflow",
                    responsible_id=people[0],
                    started_at=now - timedelta(days=1),
                )
                for pk in keep
            ]
        )
        Review.objects.bulk_create(
            [
                Review(
                    organisation=tenant,
                    run=run,
                    sequence=1,
                    engine="rules",
                    version="bench",
                    input_digest="0" * 64,
                    verdict=Verdict.SATISFIED,
                    findings=[],
                    pack={"steps": []},
                )
                for run in runs
            ]
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    waiting = Incident.objects.filter(organisation=tenant, status=IncidentStatus.PENDING_CLOSURE).count()
    print(
        f"closure queue: {Incident.objects.count():,} incidents, {waiting:,} pending closure in the tenant, "
        f"{len(keep)} of them for the supervisor"
    )
    return supervisor, keep


def _rates(client: Client, urls: tuple[str, str], requests: int) -> tuple[float, float]:
    """Requests per second of each URL, the two asked alternately so that whatever else the
    machine does weighs on both alike."""
    spent = [0.0, 0.0]
    for _ in range(10):
        for url in urls:
            assert client.get(url).status_code == 200
    for _ in range(requests):
        for side, url in enumerate(urls):
            started = time.perf_counter()
            client.get(url)
            spent[side] += time.perf_counter() - started
    return requests / spent[0], requests / spent[1]


def run(*, quick: bool = False) -> list[Result]:
    full = not quick and connection.vendor == "postgresql"
    total = 1_000_000 if full else 100_000
    requests = 400 if full else 100
    supervisor, keep = _seed(total)
    page = closure_queue_for(supervisor)[:PAGE_SIZE]
    sql, params = page.query.sql_with_params()
    QUEUE_SQL.update(sql=sql, params=params)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("closure queue: plan of the list query\n  " + "\n  ".join(row[0] for row in cursor.fetchall()))

    client = Client()
    client.force_login(supervisor)
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        body = client.get("/queue/closure/").content.decode()
        assert body.count('data-testid="queue-row"') == PAGE_SIZE, "the queue page did not list a full page"
        assert f"{len(keep)} incidents waiting" in body
        assert client.get("/bench/queue-sql/").content == f"{PAGE_SIZE} rows".encode()
        page_rate, sql_rate = _rates(client, ("/queue/closure/", "/bench/queue-sql/"), requests)
    print(
        f"closure queue: page {1000 / page_rate:.1f} ms/request, minimal view with the same SQL "
        f"{1000 / sql_rate:.1f} ms/request"
    )
    return [
        Result(
            f"closure queue page ({total // 1000:,}k incidents)",
            "/s",
            page_rate,
            sql_rate,
            target_ratio=0.3 if connection.vendor == "postgresql" else None,
            note=f"({connection.vendor})",
        )
    ]
