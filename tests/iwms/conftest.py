"""Fixtures for the kernel's tests: PostgreSQL-only skips, a short ledger chain, a proposed
delegation (the real FSM model), and tampering with the ledger as a database superuser could."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from iwms import db_guards

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connections["default"].vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgres_only")
        if marker and HERE in Path(item.path).parents:
            why = marker.kwargs.get("reason", "PostgreSQL behaviour")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {why}"))


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def execute_bypassing_guards(sql: str, params: list | tuple = ()) -> None:
    """Run `sql` with the append-only triggers out of the way, the way a database superuser
    (not the application) could, and put the guards back afterwards."""
    execute_all_bypassing_guards([(sql, params)])


def execute_all_bypassing_guards(statements: list[tuple[str, list | tuple]]) -> None:
    """`execute_bypassing_guards` for several statements, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SET LOCAL session_replication_role = replica")
            for sql, params in statements:
                cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            for table in db_guards.append_only_tables():
                for statement in db_guards._sqlite_drop_append_only(table):
                    cursor.execute(statement)
            for sql, params in statements:
                cursor.execute(sql, params)
    if not is_postgres():
        db_guards.install()


def rechain_rewriting(tenant, seq: int, message: str) -> None:
    """The perfect forgery: rewrite event #seq's message, recompute its hash and every later
    event's link and hash, and move the chain head to the new tail — so that the chain alone
    verifies. What a database superuser can do."""
    from iwms.audit import event_hash
    from iwms.models import AuditEvent

    events = list(AuditEvent.objects.filter(organisation=tenant, seq__gte=seq).order_by("seq"))
    prev = AuditEvent.objects.get(organisation=tenant, seq=seq - 1).hash if seq > 1 else "0" * 64
    statements = []
    for event in events:
        if event.seq == seq:
            event.message = message
        event.prev_hash = prev
        event.hash = event_hash(event)
        prev = event.hash
        statements.append(
            (
                "UPDATE iwms_auditevent SET message = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [event.message, event.prev_hash, event.hash, event.pk],
            )
        )
    statements.append(
        (
            "UPDATE iwms_auditchainhead SET prev_hash = %s, last_hash = %s WHERE organisation_id = %s",
            [events[-2].hash if len(events) > 1 else events[-1].prev_hash, events[-1].hash, tenant.pk],
        )
    )
    execute_all_bypassing_guards(statements)


@pytest.fixture
def chain(tenant):
    """Five events in the tenant's ledger."""
    from iwms.audit import record_event

    return [
        record_event(tenant=tenant, action="create", object_type="tests.item", object_id=str(n), message=f"item {n}")
        for n in range(1, 6)
    ]


@pytest.fixture
def giver(tenant):
    from tests.factories import UserFactory

    return UserFactory(organisation=tenant, username="giver")


@pytest.fixture
def taker(tenant):
    from tests.factories import UserFactory

    return UserFactory(organisation=tenant, username="taker")


@pytest.fixture
def outsider(other_tenant):
    from tests.factories import UserFactory

    return UserFactory(organisation=other_tenant, username="outsider")


@pytest.fixture
def make_delegation(tenant, giver, taker):
    """Proposed delegations through the ARC service (so they are born audited)."""
    from arc.choices import DelegationReason, DelegationScope
    from arc.services import delegate_responsibility

    def make(subject_id: str = "42", *, requires_acceptance: bool = True):
        return delegate_responsibility(
            tenant=tenant,
            subject_type="incidents.incident",
            subject_id=subject_id,
            scope=DelegationScope.RESPONSIBILITY,
            from_person=giver,
            to_person=taker,
            reason_code=DelegationReason.SHIFT_CHANGE,
            handoff_note="Barricade is up; the geotech visit is booked for 14:00.",
            requires_acceptance=requires_acceptance,
        )

    return make


@pytest.fixture
def delegation(make_delegation):
    return make_delegation()
