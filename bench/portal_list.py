"""The auditor's portal list at volume: 1,000,000 incidents (100,000 on SQLite or with --quick)
and 100,000 rows in each of the grant tables (the grants' incident sets and guardian's direct
foreign-key permission table; 10,000 with --quick), spread over 1,000 other grantees.

Figure: server time per request of the auditor's list of a 100-incident grant
(`/portal/grants/<id>/`: the page, its count, and the 25 `read` events it writes to the ledger).
Same-run baseline: the tenant-wide unfiltered incident list, which IWMS has only as the Django
admin's changelist of incidents (requested by a platform admin). Target: the portal list within
2× the admin list's time. The query plans of the portal list and of guardian's per-incident check
are printed and must show no sequential scan on the permission tables.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from arc.choices import Role
from arc.services import grant_role
from bench.results import Result
from incidents.access import scope
from incidents.access.services import grants
from incidents.demo.volume import create_incidents, create_people, volume_tenant
from incidents.models import AccessGrant, GrantedIncident, Incident, IncidentUserObjectPermission
from iwms.models import User

PERMISSION_TABLES = ("incidents_grantedincident", "incidents_incidentuserobjectpermission")
PER_GRANT = 100
REQUESTS = 30
HOST = "localhost"


def _seed_incidents(tenant, total: int) -> None:
    missing = total - Incident.objects.for_tenant(tenant).count()
    if missing > 0:
        started = time.perf_counter()
        create_incidents(tenant=tenant, count=missing)
        print(f"  seeded {missing:,} incidents in {time.perf_counter() - started:.0f} s")


def _seed_other_grants(tenant, *, rows: int, owner: User, admin: User) -> None:
    """`rows` incidents in grants of other grantees (PER_GRANT each), with their guardian rows,
    written in bulk as issuing them would leave them."""
    rng = random.Random(5)
    view = Permission.objects.get(content_type__app_label="incidents", codename=grants.VIEW_INCIDENT)
    ids = list(Incident.objects.for_tenant(tenant).values_list("pk", flat=True))
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        grantees = User.objects.bulk_create(
            [
                User(organisation=tenant, username=f"{tenant.slug}-grantee-{n}", email=f"g{n}@{tenant.slug}.example")
                for n in range(rows // PER_GRANT)
            ]
        )
        issued = AccessGrant.objects.bulk_create(
            [
                AccessGrant(
                    organisation=tenant,
                    grantee=grantee,
                    purpose="Volume grant",
                    expires_at=now + timedelta(days=90),
                    requested_by=owner,
                    issued_by=admin,
                    issued_at=now,
                )
                for grantee in grantees
            ]
        )
        for grant in issued:
            chosen = rng.sample(ids, PER_GRANT)
            GrantedIncident.objects.bulk_create(
                [GrantedIncident(organisation=tenant, grant=grant, incident_id=pk) for pk in chosen]
            )
            IncidentUserObjectPermission.objects.bulk_create(
                [
                    IncidentUserObjectPermission(user_id=grant.grantee_id, permission=view, content_object_id=pk)
                    for pk in chosen
                ]
            )
    seconds = time.perf_counter() - started
    print(f"  seeded {len(issued):,} grants with {rows:,} incidents and guardian rows in {seconds:.0f} s")


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("incidents_incident", *PERMISSION_TABLES, "incidents_accessgrant"):
                cursor.execute(f"ANALYZE {table}")


def _milliseconds_per_request(client: Client, url: str) -> float:
    for _ in range(3):  # warm-up: templates, URL resolvers, statement plans
        assert client.get(url, HTTP_HOST=HOST).status_code == 200
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url, HTTP_HOST=HOST)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def _query_milliseconds(queryset) -> float:
    """The list's own queries, without the page around them: its first 25 rows and its count."""
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        list(queryset.order_by("-reported_at", "-pk")[:25])
        queryset.count()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _plans(grant: AccessGrant, auditor: User) -> list[str]:
    page = scope.incidents_in(grant).order_by("-reported_at", "-pk")[:25]
    granted = grant.granted_incidents.values_list("incident_id", flat=True).first()
    view = Permission.objects.get(content_type__app_label="incidents", codename=grants.VIEW_INCIDENT)
    check = IncidentUserObjectPermission.objects.filter(user=auditor, permission=view, content_object_id=granted)
    return [page.explain(), scope.incidents_in(grant).values("pk").explain(), check.explain()]


def run(*, quick: bool = False) -> list[Result]:
    postgres = connection.vendor == "postgresql"
    total, grant_rows = (1_000_000, 100_000) if postgres and not quick else (100_000, 10_000)
    tenant = volume_tenant("portal")
    create_people(tenant=tenant, count=2_000, password=settings.IWMS_DEMO_PASSWORD)
    _seed_incidents(tenant, total)

    people = list(User.objects.filter(organisation=tenant).order_by("pk")[:2])
    owner, admin = people
    grant_role(tenant=tenant, user=admin, role=Role.TENANT_ADMIN, reason="Issues the benchmark's grants")
    auditor = User.objects.create(organisation=tenant, username="portal-auditor", email="auditor@portal.example")
    grant_role(tenant=tenant, user=auditor, role=Role.AUDITOR, reason="Group internal audit")
    owned = list(Incident.objects.for_tenant(tenant).filter(owner=owner).order_by("pk")[:PER_GRANT])
    grant = grants.issue_grant(
        grant=grants.request_grant(
            tenant=tenant,
            actor=owner,
            grantee=auditor,
            purpose="Annual audit of incident handling",
            expires_at=timezone.now() + timedelta(days=30),
            incidents=owned,
        ),
        actor=admin,
    )
    _seed_other_grants(tenant, rows=grant_rows, owner=owner, admin=admin)
    _analyze()

    plans = _plans(grant, auditor)
    for plan in plans:
        print("  EXPLAIN\n    " + plan.replace("\n", "\n    "))
    scanned = [table for table in PERMISSION_TABLES if any(f"Seq Scan on {table}" in plan for plan in plans)]
    assert not (postgres and scanned), f"sequential scan on {scanned}"

    portal = Client()
    portal.force_login(auditor)
    portal_ms = _milliseconds_per_request(portal, reverse("portal_grant", args=[grant.pk]))
    platform = User.objects.create_superuser(username="portal-platform", email="platform@portal.example")
    changelist = Client()
    changelist.force_login(platform)
    admin_ms = _milliseconds_per_request(changelist, reverse("admin:incidents_incident_changelist"))

    scoped_ms = _query_milliseconds(scope.incidents_in(grant))
    unfiltered_ms = _query_milliseconds(Incident.objects.for_tenant(tenant).select_related(*scope.LIST_RELATED))
    print(
        f"  the lists' queries alone (first page and count): the grant's {scoped_ms:.1f} ms, "
        f"the tenant's unfiltered {unfiltered_ms:.1f} ms"
    )
    ratio = portal_ms / admin_ms
    print(
        f"  portal list of a {PER_GRANT}-incident grant: {portal_ms:.1f} ms per request (median of {REQUESTS}); "
        f"admin changelist of all {total:,} incidents: {admin_ms:.1f} ms; ×{ratio:.2f} (target ≤ 2); "
        f"{grant_rows:,} rows in each of {', '.join(PERMISSION_TABLES)}"
        f"{', no sequential scan on them' if postgres else ''}"
    )
    return [
        Result(
            f"portal list, {total // 1000:,}k incidents, {grant_rows // 1000}k grant rows",
            "/s",
            1000 / portal_ms,
            1000 / admin_ms,
            target_ratio=0.5,
            note=f"{portal_ms:.1f} ms vs {admin_ms:.1f} ms per request ({connection.vendor})",
        )
    ]
