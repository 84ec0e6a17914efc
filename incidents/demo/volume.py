"""Volume data for benchmarks: many people in a deep organogram and a long audit chain,
written with bulk inserts (no per-row audit or history: this is synthetic load, not demo
content). Later issues add incidents here."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from iwms.audit import GENESIS_HASH, canonical_payload, chain_hash
from iwms.choices import ActorKind, AuditAction
from iwms.models import AuditChainHead, AuditEvent, Organisation, User
from organogram import generation
from organogram.choices import AssignmentKind, UnitKind
from organogram.models import OrgUnit, Position, PositionAssignment

BATCH = 5000
TEAM_SIZE = 12


def _batches(total: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, BATCH):
        yield start, min(total, start + BATCH)


def volume_tenant(slug: str) -> Organisation:
    tenant, _ = Organisation.objects.get_or_create(
        slug=slug, defaults={"name": f"Volume tenant {slug}", "industry": "Diamond Mining"}
    )
    return tenant


def create_people(*, tenant: Organisation, count: int, password: str) -> int:
    """`count` people, each in a position: teams of TEAM_SIZE under a supervisor, supervisors
    under department heads, heads under one top position. Returns rows written."""
    password_hash = make_password(password)
    since = timezone.now() - timedelta(days=30)
    prefix = f"{tenant.slug}-"
    existing = User.objects.filter(organisation=tenant).count()
    with transaction.atomic():
        root_unit, _ = OrgUnit.objects.get_or_create(
            organisation=tenant,
            code="volume-root",
            defaults={"name": "Volume organisation", "kind": UnitKind.ORGANISATION},
        )
        top, _ = Position.objects.get_or_create(
            organisation=tenant,
            code="volume-top",
            defaults={"title": "Chief Executive", "unit": root_unit, "is_unit_head": True},
        )
    written = 0
    for start, end in _batches(count):
        with transaction.atomic():
            users = [
                User(
                    organisation=tenant,
                    username=f"{prefix}{existing + i}",
                    first_name="Person",
                    last_name=str(existing + i),
                    password=password_hash,
                    employee_number=f"V{existing + i:08d}",
                )
                for i in range(start, end)
            ]
            User.objects.bulk_create(users, batch_size=BATCH)
            # Supervisors are the first person of every team; a department per 50 teams.
            unit = OrgUnit.objects.create(
                organisation=tenant,
                code=f"volume-unit-{existing + start}",
                name=f"Volume unit {existing + start}",
                kind=UnitKind.DEPARTMENT,
                parent=root_unit,
            )
            head = Position.objects.create(
                organisation=tenant,
                code=f"volume-head-{existing + start}",
                title="Department Head",
                unit=unit,
                parent=top,
                is_unit_head=True,
            )
            # Two bulk passes: team leads (reporting to the head), then staff reporting to them.
            teams = [users[i : i + TEAM_SIZE] for i in range(0, len(users), TEAM_SIZE)]
            leads = Position.objects.bulk_create(
                [
                    Position(
                        organisation=tenant,
                        code=f"volume-pos-{team[0].username}",
                        title="Supervisor",
                        unit=unit,
                        parent=head,
                    )
                    for team in teams
                ],
                batch_size=BATCH,
            )
            staff = Position.objects.bulk_create(
                [
                    Position(
                        organisation=tenant, code=f"volume-pos-{user.username}", title="Staff", unit=unit, parent=lead
                    )
                    for lead, team in zip(leads, teams, strict=True)
                    for user in team[1:]
                ],
                batch_size=BATCH,
            )
            holders = [team[0] for team in teams] + [user for team in teams for user in team[1:]]
            positions = leads + staff
            PositionAssignment.objects.bulk_create(
                [
                    PositionAssignment(
                        organisation=tenant, position=p, person=u, kind=AssignmentKind.SUBSTANTIVE, starts_at=since
                    )
                    for p, u in zip(positions, holders, strict=True)
                ],
                batch_size=BATCH,
            )
            generation.changed(tenant.pk)  # bulk writes send no signals
            written += len(users) * 3 + 2
    return written


def append_events(*, tenant: Organisation, count: int, seed: int = 7) -> int:
    """Extend the tenant's audit chain by `count` events (valid hashes, so verify_audit passes)."""
    rng = random.Random(seed)
    actions = [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.READ, AuditAction.ESCALATE, AuditAction.REVIEW]
    written = 0
    for start, end in _batches(count):
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update().filter(organisation=tenant).first()
            if head is None:
                head = AuditChainHead.objects.create(organisation=tenant, last_seq=0, last_hash=GENESIS_HASH)
            seq, prev = head.last_seq, head.last_hash
            now = timezone.now()
            events = []
            for _ in range(start, end):
                seq += 1
                fields = {
                    "actor_kind": ActorKind.SYSTEM,
                    "actor_id": None,
                    "actor_label": "system:seed_volume",
                    "action": rng.choice(actions),
                    "object_type": "volume.item",
                    "object_id": str(rng.randint(1, 1_000_000)),
                    "message": "",
                    "changes": json.loads(json.dumps({"n": seq})),
                    "request_id": "",
                    "created_at": now,
                }
                digest = chain_hash(prev, seq, canonical_payload(tenant_id=tenant.pk, **fields))
                events.append(AuditEvent(organisation=tenant, seq=seq, prev_hash=prev, hash=digest, **fields))
                prev = digest
            AuditEvent.objects.bulk_create(events, batch_size=BATCH)
            AuditChainHead.objects.filter(pk=head.pk).update(
                last_seq=seq, prev_hash=events[-1].prev_hash, last_hash=prev
            )
            written += len(events)
    return written


def create_incidents(*, tenant: Organisation, count: int, seed: int = 3, open_only: bool = False) -> int:
    """`count` incidents spread over the last 90 days across every lifecycle state (only the
    states before closed with `open_only`), reported by, owned by and assigned to the tenant's
    people (bulk: no per-row audit or history rows). An open one's next SLA clock falls one to four
    days ahead, so none is due for the sweep until `make_due` says so."""
    from incidents.choices import IncidentKind, IncidentStatus, RiskLevel, Severity, Source, TimeSensitivity
    from incidents.core.deadlines import deadlines_for
    from incidents.intake.services.categories import load_industry_template
    from incidents.models import Category, Incident

    rng = random.Random(seed)
    if not Category.objects.for_tenant(tenant).exists():
        load_industry_template(tenant=tenant, key="diamond_mining", actor="system:seed_volume")
    parents = set(Category.objects.for_tenant(tenant).exclude(parent=None).values_list("parent_id", flat=True))
    leaves = list(Category.objects.for_tenant(tenant).exclude(pk__in=parents).values_list("pk", flat=True))
    holders = list(
        PositionAssignment.objects.filter(organisation=tenant, ends_at__isnull=True).values_list(
            "person_id", "position_id"
        )
    )
    if not holders:
        raise ValueError("the tenant has no people yet: run with --people first")
    statuses = [
        IncidentStatus.OPEN,
        IncidentStatus.IN_PROGRESS,
        IncidentStatus.HALF_CLOSED,
        IncidentStatus.PENDING_CLOSURE,
        IncidentStatus.CLOSED,
    ]
    weights = [10, 25, 5, 10, 0 if open_only else 50]
    severities = list(Severity)
    now = timezone.now()
    start = Incident.objects.for_tenant(tenant).filter(reference__startswith="VOL-").count()
    written = 0
    for first, last in _batches(count):
        rows = []
        for n in range(first + start, last + start):
            reporter, _ = rng.choice(holders)
            owner, owner_position = rng.choice(holders)
            responsible, _ = rng.choice(holders)
            severity = rng.choice(severities)
            reported = now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
            status = rng.choices(statuses, weights)[0]
            deadlines = deadlines_for(severity, reported)
            rows.append(
                Incident(
                    organisation=tenant,
                    reference=f"VOL-{n:09d}",
                    kind=IncidentKind.INCIDENT,
                    source=Source.MANUAL,
                    owner_id=owner,
                    owner_position_id=owner_position,
                    initial_responsible_id=responsible,
                    responsible_id=responsible,
                    reporter_id=reporter,
                    title=f"Volume incident {n}",
                    narrative="Synthetic incident for volume benchmarks.",
                    category_id=rng.choice(leaves),
                    location=f"Area {n % 500}",
                    risk_level=rng.choice(list(RiskLevel)),
                    severity=severity,
                    time_sensitivity=TimeSensitivity.PROMPT,
                    occurred_at=reported - timedelta(minutes=10),
                    reported_at=reported,
                    status=status,
                    ack_due_at=deadlines.ack_due_at,
                    contain_due_at=deadlines.contain_due_at,
                    resolve_due_at=deadlines.resolve_due_at,
                    closed_at=reported + timedelta(hours=2) if status == IncidentStatus.CLOSED else None,
                    next_clock_at=None
                    if status == IncidentStatus.CLOSED
                    else now + timedelta(days=1, minutes=rng.randint(0, 3 * 24 * 60)),
                )
            )
        with transaction.atomic():
            Incident.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written


# Which clock `make_due` makes due, as a share of the due incidents (the last kind takes the
# rounding). Each due incident has one due clock, except a missed resolve deadline, which comes
# with a missed contain deadline and escalates (a failure-to-complete incident and its workflow).
DUE_MIX = [
    ("acknowledge_warning", 40),
    ("acknowledge_breach", 30),
    ("contain_warning", 20),
    ("contain_breach", 9),
    ("resolve_breach", 1),
]


def make_due(*, tenant: Organisation, count: int, at: datetime, seed: int = 11) -> dict[str, int]:
    """Give `count` open volume incidents, not due yet, deadlines that make their next SLA clock
    due at `at`, in the shares of DUE_MIX (warnings at the default 75 % of the time). Returns
    how many of each kind."""
    from incidents.choices import IncidentStatus, Severity
    from incidents.models import Incident

    rng = random.Random(seed)
    candidates = list(
        Incident.objects.for_tenant(tenant)
        .filter(reference__startswith="VOL-", next_clock_at__gt=at)
        .exclude(status=IncidentStatus.CLOSED)
        .values_list("pk", flat=True)
    )
    if len(candidates) < count:
        raise ValueError(f"only {len(candidates)} open volume incidents are not due yet; {count} asked")
    chosen = rng.sample(candidates, count)
    minute = timedelta(minutes=1)
    started = at - 60 * minute
    acknowledged = at - 50 * minute
    later = {"resolve_due_at": at + 240 * minute}
    deadlines = {
        # warning at 75 % of 70 min after the start: 7.5 min before `at`
        "acknowledge_warning": {
            "acknowledged_at": None,
            "ack_due_at": at + 10 * minute,
            "contain_due_at": at + 120 * minute,
        },
        "acknowledge_breach": {"acknowledged_at": None, "ack_due_at": at - minute, "contain_due_at": at + 120 * minute},
        "contain_warning": {
            "acknowledged_at": acknowledged,
            "ack_due_at": at - 55 * minute,
            "contain_due_at": at + 10 * minute,
        },
        "contain_breach": {
            "acknowledged_at": acknowledged,
            "ack_due_at": at - 55 * minute,
            "contain_due_at": at - minute,
        },
        "resolve_breach": {
            # A severity that escalates under the default switches (SEV-4 only records its breach).
            "severity": Severity.SEV2,
            "acknowledged_at": acknowledged,
            "ack_due_at": at - 55 * minute,
            "contain_due_at": at - 30 * minute,
            "resolve_due_at": at - minute,
        },
    }
    counts: dict[str, int] = {}
    offset = 0
    for n, (kind, share) in enumerate(DUE_MIX):
        size = count - offset if n == len(DUE_MIX) - 1 else count * share // 100
        ids = chosen[offset : offset + size]
        offset += size
        for first in range(0, len(ids), BATCH):
            Incident.objects.filter(pk__in=ids[first : first + BATCH]).update(
                status=IncidentStatus.OPEN if kind.startswith("acknowledge") else IncidentStatus.IN_PROGRESS,
                reported_at=started,
                occurred_at=started - 10 * minute,
                next_clock_at=at - minute,
                **{**later, **deadlines[kind]},
            )
        counts[kind] = len(ids)
    return counts
