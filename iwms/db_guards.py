"""Rules the database itself enforces, whatever path a write takes.

1. Append-only tables — the audit ledger and every simple-history table — refuse UPDATE,
   DELETE and TRUNCATE (SQLite has no TRUNCATE; its `DELETE FROM t` is covered).
2. A tenant-owned row may not reference a row of another tenant — neither by setting the
   reference nor by moving either row to another tenant afterwards. The audit ledger is
   exempt: it must be able to name an outsider whose attempt was refused.
3. Columns a model names in `immutable_fields` (an incident's anchors) never change.

All are triggers, installed idempotently after every `migrate` (so each new governed
model and its history table is covered without a hand-written migration). On PostgreSQL the
tenant check of inserted rows runs once per statement over its transition table (one join,
however many rows a bulk insert writes); updates are checked row by row. The only way
around rule 1 is `maintenance()`, which is explicit and writes its own audit event; on
PostgreSQL the trigger itself lifts the rule only for a login in the maintenance role and
records each use (`MaintenanceUse`), and the application's role holds no privilege to try
(`iwms.database_roles`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from iwms.tenancy import is_reference_exempt, is_tenant_owned, tenant_foreign_keys

APPEND_ONLY_MESSAGE = "iwms.append_only"
CROSS_TENANT_MESSAGE = "tenant.cross_reference"


def is_history_model(model: type[models.Model]) -> bool:
    return hasattr(model, "instance_type") and hasattr(model, "history_id")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def append_only_tables() -> list[str]:
    from iwms.models import AuditEvent, MaintenanceUse

    tables = [AuditEvent._meta.db_table, MaintenanceUse._meta.db_table]
    tables += sorted(m._meta.db_table for m in apps.get_models() if is_history_model(m))
    return tables


@dataclass(frozen=True)
class TenantReference:
    table: str
    column: str
    referenced_table: str

    @property
    def trigger_name(self) -> str:
        """Guards the referencing row (its reference and its tenant)."""
        digest = hashlib.sha256(f"{self.table}.{self.column}".encode()).hexdigest()[:10]
        return f"iwms_tenant_ref_{digest}"

    @property
    def inserted_trigger_name(self) -> str:
        """Guards the rows an INSERT statement wrote, all at once (PostgreSQL)."""
        digest = hashlib.sha256(f"inserted:{self.table}.{self.column}".encode()).hexdigest()[:10]
        return f"iwms_tenant_ins_{digest}"

    @property
    def moved_trigger_name(self) -> str:
        """Guards the referenced row: it may not move to another tenant while referenced."""
        digest = hashlib.sha256(f"moved:{self.table}.{self.column}".encode()).hexdigest()[:10]
        return f"iwms_tenant_moved_{digest}"


def _references(*, exempt: bool) -> list[TenantReference]:
    refs = []
    for model in apps.get_models():
        if not is_tenant_owned(model) or model._meta.proxy or not model._meta.managed:
            continue
        if is_reference_exempt(model) != exempt:
            continue
        for field in tenant_foreign_keys(model, include_exempt=exempt):
            refs.append(TenantReference(model._meta.db_table, field.column, field.related_model._meta.db_table))
    return sorted(refs, key=lambda r: (r.table, r.column))


def tenant_references() -> list[TenantReference]:
    """Every reference between tenant-owned rows that the database guards."""
    return _references(exempt=False)


def exempt_references() -> list[TenantReference]:
    """References of exempt models (the ledger); their triggers are dropped if present."""
    return _references(exempt=True)


@dataclass(frozen=True)
class ImmutableColumn:
    table: str
    column: str

    @property
    def trigger_name(self) -> str:
        digest = hashlib.sha256(f"immutable:{self.table}.{self.column}".encode()).hexdigest()[:10]
        return f"iwms_immutable_{digest}"


def immutable_columns() -> list[ImmutableColumn]:
    """Columns named by a model's `immutable_fields` (e.g. an incident's anchors)."""
    columns = []
    for model in apps.get_models():
        for name in getattr(model, "immutable_fields", ()):
            columns.append(ImmutableColumn(model._meta.db_table, model._meta.get_field(name).column))
    return sorted(columns, key=lambda c: (c.table, c.column))


# --- PostgreSQL ---------------------------------------------------------------------------

_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION iwms_refuse_immutable_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'anchor.immutable: %.% cannot change after creation', TG_TABLE_NAME, TG_ARGV[0]
    USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION iwms_check_tenant_reference() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  row_data jsonb := to_jsonb(NEW);
  ref_id text := row_data ->> TG_ARGV[0];
  ref_tenant bigint;
BEGIN
  IF ref_id IS NULL THEN RETURN NEW; END IF;
  EXECUTE format('SELECT organisation_id FROM %I WHERE id = $1', TG_ARGV[1])
    INTO ref_tenant USING ref_id::bigint;
  IF ref_tenant IS NOT NULL AND ref_tenant IS DISTINCT FROM (row_data ->> 'organisation_id')::bigint THEN
    RAISE EXCEPTION 'tenant.cross_reference: %.% refers to a row of another tenant in %',
      TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1] USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

-- The same rule for every row one INSERT wrote, read from the statement's transition table:
-- one join per statement instead of a lookup per row (bulk inserts write thousands).
CREATE OR REPLACE FUNCTION iwms_check_inserted_tenant_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  crossed boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM iwms_inserted n JOIN %I r ON r.id = n.%I '
                 'WHERE r.organisation_id IS NOT NULL AND r.organisation_id IS DISTINCT FROM n.organisation_id)',
                 TG_ARGV[1], TG_ARGV[0])
    INTO crossed;
  IF crossed THEN
    RAISE EXCEPTION 'tenant.cross_reference: %.% refers to a row of another tenant in %',
      TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1] USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION iwms_check_tenant_referrers() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  referred boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1 AND organisation_id IS DISTINCT FROM $2)',
                 TG_ARGV[0], TG_ARGV[1])
    INTO referred USING NEW.id, NEW.organisation_id;
  IF referred THEN
    RAISE EXCEPTION 'tenant.cross_reference: %.% of another tenant refers to this row of %; it cannot move',
      TG_ARGV[0], TG_ARGV[1], TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
"""


# The append-only guard. `iwms.maintenance` is a placeholder setting every role may set, so the
# setting alone lifts nothing: the session's login (not a role it SET ROLE'd to) must be a member
# of the maintenance role, or a superuser (who could drop the trigger anyway). Each table and
# operation a transaction changes under the bypass is recorded in iwms_maintenanceuse. The
# search_path is pinned so that no role can shadow the catalogue or the record table.
_PG_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION iwms_refuse_append_only_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {schema}, pg_temp AS $$
BEGIN
  IF current_setting('iwms.maintenance', true) = 'on' THEN
    IF NOT (coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
            OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {role})
                AND pg_has_role(session_user, {role}, 'MEMBER'))) THEN
      RAISE EXCEPTION 'iwms.append_only: % on % is refused; the maintenance bypass needs membership of the role %',
        TG_OP, TG_TABLE_NAME, {role} USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_TABLE_NAME <> 'iwms_maintenanceuse' THEN
      INSERT INTO iwms_maintenanceuse (created_at, session_role, table_name, operation, reason, transaction_id)
      VALUES (now(), session_user, TG_TABLE_NAME, TG_OP,
              coalesce(current_setting('iwms.maintenance_reason', true), ''), txid_current())
      ON CONFLICT (transaction_id, table_name, operation) DO NOTHING;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'iwms.append_only: % on % is refused; the table is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def maintenance_role() -> str:
    return settings.IWMS_DB_MAINTENANCE_ROLE


def _pg_statements(
    tables: list[str],
    refs: list[TenantReference],
    immutables: list[ImmutableColumn],
    exempt: list[TenantReference],
    *,
    schema: str = "public",
) -> Iterator[str]:
    yield _PG_APPEND_ONLY_FUNCTION.format(schema=_quote_ident(schema), role=_quote_literal(maintenance_role()))
    yield _PG_FUNCTIONS
    for col in immutables:
        yield (
            f'CREATE OR REPLACE TRIGGER {col.trigger_name} BEFORE UPDATE OF "{col.column}" ON "{col.table}" '
            f'FOR EACH ROW WHEN (OLD."{col.column}" IS DISTINCT FROM NEW."{col.column}") '
            f"EXECUTE FUNCTION iwms_refuse_immutable_change('{col.column}')"
        )
    for table in tables:
        yield (
            f'CREATE OR REPLACE TRIGGER iwms_append_only_row BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION iwms_refuse_append_only_change()"
        )
        yield (
            f'CREATE OR REPLACE TRIGGER iwms_append_only_truncate BEFORE TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION iwms_refuse_append_only_change()"
        )
    for ref in refs:
        yield (
            f"CREATE OR REPLACE TRIGGER {ref.trigger_name} BEFORE UPDATE OF "
            f'"{ref.column}", "organisation_id" ON "{ref.table}" FOR EACH ROW EXECUTE FUNCTION '
            f"iwms_check_tenant_reference('{ref.column}', '{ref.referenced_table}')"
        )
        yield (
            f'CREATE OR REPLACE TRIGGER {ref.inserted_trigger_name} AFTER INSERT ON "{ref.table}" '
            "REFERENCING NEW TABLE AS iwms_inserted FOR EACH STATEMENT EXECUTE FUNCTION "
            f"iwms_check_inserted_tenant_references('{ref.column}', '{ref.referenced_table}')"
        )
        # A row moving to a platform level (no tenant) may still be referenced, like a superuser.
        yield (
            f'CREATE OR REPLACE TRIGGER {ref.moved_trigger_name} BEFORE UPDATE OF "organisation_id" '
            f'ON "{ref.referenced_table}" FOR EACH ROW WHEN (NEW."organisation_id" IS NOT NULL AND '
            f'OLD."organisation_id" IS DISTINCT FROM NEW."organisation_id") EXECUTE FUNCTION '
            f"iwms_check_tenant_referrers('{ref.table}', '{ref.column}')"
        )
    for ref in exempt:
        yield f'DROP TRIGGER IF EXISTS {ref.trigger_name} ON "{ref.table}"'
        yield f'DROP TRIGGER IF EXISTS {ref.inserted_trigger_name} ON "{ref.table}"'
        yield f'DROP TRIGGER IF EXISTS {ref.moved_trigger_name} ON "{ref.referenced_table}"'


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_append_only(table: str) -> Iterator[str]:
    for op in ("UPDATE", "DELETE"):
        yield (
            f'CREATE TRIGGER IF NOT EXISTS "iwms_append_only_{op.lower()}_{table}" BEFORE {op} '
            f'ON "{table}" BEGIN SELECT RAISE(ABORT, '
            f"'{APPEND_ONLY_MESSAGE}: {op} on {table} is refused; the table is append-only'); END"
        )


def _sqlite_drop_append_only(table: str) -> Iterator[str]:
    for op in ("update", "delete"):
        yield f'DROP TRIGGER IF EXISTS "iwms_append_only_{op}_{table}"'


def _sqlite_statements(
    tables: list[str], refs: list[TenantReference], immutables: list[ImmutableColumn], exempt: list[TenantReference]
) -> Iterator[str]:
    for col in immutables:
        yield (
            f'CREATE TRIGGER IF NOT EXISTS "{col.trigger_name}" BEFORE UPDATE OF "{col.column}" ON "{col.table}" '
            f'WHEN OLD."{col.column}" IS NOT NEW."{col.column}" BEGIN SELECT RAISE(ABORT, '
            f"'anchor.immutable: {col.table}.{col.column} cannot change after creation'); END"
        )
    for table in tables:
        yield from _sqlite_append_only(table)
    for ref in refs:
        condition = (
            f'NEW."{ref.column}" IS NOT NULL AND EXISTS (SELECT 1 FROM "{ref.referenced_table}" r '
            f'WHERE r.id = NEW."{ref.column}" AND r.organisation_id IS NOT NULL '
            f"AND r.organisation_id IS NOT NEW.organisation_id)"
        )
        message = f"{CROSS_TENANT_MESSAGE}: {ref.table}.{ref.column} refers to another tenant"
        for op, suffix in (("INSERT", "ins"), (f'UPDATE OF "{ref.column}", organisation_id', "upd")):
            yield (
                f'CREATE TRIGGER IF NOT EXISTS "{ref.trigger_name}_{suffix}" BEFORE {op} ON '
                f"\"{ref.table}\" WHEN {condition} BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        moved_message = (
            f"{CROSS_TENANT_MESSAGE}: {ref.table}.{ref.column} of another tenant refers to this row "
            f"of {ref.referenced_table}; it cannot move"
        )
        yield (
            f'CREATE TRIGGER IF NOT EXISTS "{ref.moved_trigger_name}" BEFORE UPDATE OF organisation_id ON '
            f'"{ref.referenced_table}" WHEN NEW.organisation_id IS NOT NULL '
            f"AND OLD.organisation_id IS NOT NEW.organisation_id "
            f'AND EXISTS (SELECT 1 FROM "{ref.table}" x WHERE x."{ref.column}" = NEW.id '
            f"AND x.organisation_id IS NOT NEW.organisation_id) "
            f"BEGIN SELECT RAISE(ABORT, '{moved_message}'); END"
        )
    for ref in exempt:
        for suffix in ("ins", "upd"):
            yield f'DROP TRIGGER IF EXISTS "{ref.trigger_name}_{suffix}"'
        yield f'DROP TRIGGER IF EXISTS "{ref.moved_trigger_name}"'


def install(using: str = DEFAULT_DB_ALIAS) -> int:
    """Create every guard trigger that is missing; returns the number of statements run."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    tables = [t for t in append_only_tables() if t in existing]
    refs = [r for r in tenant_references() if r.table in existing and r.referenced_table in existing]
    immutables = [c for c in immutable_columns() if c.table in existing]
    exempt = [r for r in exempt_references() if r.table in existing and r.referenced_table in existing]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone()
        statements = list(_pg_statements(tables, refs, immutables, exempt, schema=schema))
    elif connection.vendor == "sqlite":
        statements = list(_sqlite_statements(tables, refs, immutables, exempt))
    else:
        raise ImproperlyConfigured(f"IWMS runs on PostgreSQL or SQLite, not {connection.vendor}.")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return len(statements)


def install_after_migrate(sender: object, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    install(using)


def may_maintain(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this connection's login may use the maintenance bypass: on PostgreSQL a
    superuser or a member of the maintenance role (the trigger asks the same question); SQLite
    has no roles, so whoever can open the file may."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) "
            "OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) AND pg_has_role(session_user, %s, 'MEMBER'))",
            [maintenance_role(), maintenance_role()],
        )
        return bool(cursor.fetchone()[0])


@contextmanager
def maintenance(
    *, reason: str, tenant: object = None, actor: object = None, using: str = DEFAULT_DB_ALIAS, audited: bool = True
) -> Iterator[None]:
    """Lift the append-only rule for the enclosed block, inside one transaction.

    For data-protection erasure orders and test-database resets only. On PostgreSQL only a
    member of the maintenance role (`IWMS_DB_MAINTENANCE_ROLE`) or a superuser may: the
    application's own role is refused here and, whatever a client sets, by the trigger. Every
    use is recorded by the database in `MaintenanceUse` with its reason. Audited by default
    too: the ledger event is written after the block, within the same transaction, to the given
    tenant; an audited call must therefore name the tenant (only a whole-database reset passes
    `audited=False`).
    """
    if audited and tenant is None:
        raise ValueError("maintenance() is audited: name the tenant whose ledger records it")
    if not may_maintain(using):
        from iwms.errors import PolicyError

        raise PolicyError(
            "audit.maintenance_forbidden",
            f"The append-only rule can only be lifted by a member of the database role {maintenance_role()!r}.",
            tenant=tenant if audited else None,
            role=maintenance_role(),
            reason=reason,
        )
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('iwms.maintenance_reason', %s, true)", [reason])
                cursor.execute("SET LOCAL iwms.maintenance = 'on'")
            else:
                for table in append_only_tables():
                    for statement in _sqlite_drop_append_only(table):
                        cursor.execute(statement)
                # The trigger records each use on PostgreSQL; here, the block (first, so that a
                # reset emptying every table takes its own record with it).
                if "iwms_maintenanceuse" in connection.introspection.table_names():
                    cursor.execute(
                        "INSERT INTO iwms_maintenanceuse (created_at, session_role, table_name, operation, reason) "
                        "VALUES (%s, 'sqlite', '', 'MAINTENANCE', %s)",
                        [timezone.now(), reason],
                    )
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL iwms.maintenance = 'off'")
            else:
                existing = set(connection.introspection.table_names())
                for table in append_only_tables():
                    if table in existing:
                        for statement in _sqlite_append_only(table):
                            cursor.execute(statement)
        if audited and tenant is not None:
            from iwms.audit import record_event
            from iwms.choices import AuditAction

            record_event(tenant=tenant, action=AuditAction.MAINTENANCE, actor=actor, message=reason)
