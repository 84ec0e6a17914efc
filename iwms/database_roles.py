"""PostgreSQL roles that keep the ledger out of the application's reach.

Three roles, so that a compromised application (or anyone holding its credentials) cannot
rewrite history:

- the *owner* (whoever runs `migrate` and `setup_database_roles`, e.g. with
  `DATABASE_OWNER_URL`) owns the tables and could drop or disable the guard triggers; only
  deployments connect as it, never the application;
- the *application role* (`IWMS_DB_APP_ROLE`, the user of `DATABASE_URL`) owns nothing and gets
  data privileges only: on the append-only tables (the ledger, history tables, maintenance
  records) SELECT and INSERT, nothing else;
- the *maintenance role* (`IWMS_DB_MAINTENANCE_ROLE`, NOLOGIN) is the only way around the
  append-only rule: the guard trigger lifts it only for a session whose login is a member (see
  `iwms.db_guards`). Grant it to a named person's login for an erasure order, then revoke it.

SQLite has no roles: there, whoever can write the file can do anything, and the signed
checkpoints (`iwms.ledger_checkpoints`) are the only protection.
"""

from __future__ import annotations

from dataclasses import dataclass

import dj_database_url
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from iwms import db_guards


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def use_owner_credentials(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Reconnect `alias` with the user, password, host and port of `DATABASE_OWNER_URL` (the
    database name stays: a test run keeps its test database). False when no owner URL is set."""
    if not settings.DATABASE_OWNER_URL:
        return False
    owner = dj_database_url.parse(settings.DATABASE_OWNER_URL)
    connection = connections[alias]
    connection.close()
    for key in ("USER", "PASSWORD", "HOST", "PORT"):
        connection.settings_dict[key] = owner.get(key, "")
    return True


def _role_exists(cursor: object, role: str) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", [role])
    return bool(cursor.fetchone()[0])


@dataclass(frozen=True)
class RoleSetup:
    created: list[str]
    app_role: str
    maintenance_role: str
    owner: str
    database: str


def setup_roles(*, app_password: str | None = None, using: str = DEFAULT_DB_ALIAS, create: bool = True) -> RoleSetup:
    """Create the application and maintenance roles when missing (needs CREATEROLE) and grant
    them exactly their privileges on the tables of the current schema. Idempotent; run by the
    owner after `migrate` (and `migrate` re-grants by itself once the roles exist)."""
    connection = connections[using]
    app_role, maintenance = settings.IWMS_DB_APP_ROLE, settings.IWMS_DB_MAINTENANCE_ROLE
    created = []
    with connection.cursor() as cursor:
        if create:
            if not _role_exists(cursor, app_role):
                cursor.execute(f"CREATE ROLE {_ident(app_role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT")
                created.append(app_role)
            if not _role_exists(cursor, maintenance):
                cursor.execute(f"CREATE ROLE {_ident(maintenance)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
                created.append(maintenance)
        if app_password:
            cursor.execute(f"ALTER ROLE {_ident(app_role)} PASSWORD %s", [app_password])
        cursor.execute("SELECT session_user, current_database()")
        owner, database = cursor.fetchone()
    grant_privileges(connection)
    return RoleSetup(created, app_role, maintenance, owner, database)


def grant_privileges(connection: BaseDatabaseWrapper) -> None:
    """(Re)grant the roles' privileges on every table now present; a no-op until they exist."""
    app_role, maintenance = settings.IWMS_DB_APP_ROLE, settings.IWMS_DB_MAINTENANCE_ROLE
    existing = set(connection.introspection.table_names())
    append_only = [table for table in db_guards.append_only_tables() if table in existing]
    with connection.cursor() as cursor:
        if not (_role_exists(cursor, app_role) and _role_exists(cursor, maintenance)):
            return
        cursor.execute("SELECT current_schema(), current_database()")
        schema, database = (_ident(name) for name in cursor.fetchone())
        app, maint = _ident(app_role), _ident(maintenance)
        statements = [
            f"GRANT CONNECT ON DATABASE {database} TO {app}, {maint}",
            f"GRANT USAGE ON SCHEMA {schema} TO {app}, {maint}",
            f"REVOKE CREATE ON SCHEMA {schema} FROM {app}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}, {maint}",
            # Tables a later migration creates get the same before the next re-grant.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {app}, {maint}",
        ]
        if append_only:
            listed = ", ".join(_ident(table) for table in append_only)
            statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {listed} FROM {app}")
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {listed} TO {maint}")
        # The database writes maintenance records (the trigger, as the maintenance member).
        statements.append(f'REVOKE INSERT ON "iwms_maintenanceuse" FROM {app}')
        for statement in statements:
            if "iwms_maintenanceuse" in statement and "iwms_maintenanceuse" not in existing:
                continue
            cursor.execute(statement)


def grant_after_migrate(sender: object, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    if connections[using].vendor == "postgresql":
        grant_privileges(connections[using])


def role_problems(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What is wrong with the role this connection logs in as, for an application connection:
    empty when it is neither a superuser, nor the ledger's owner (or a member of it), nor a
    member of the maintenance role. Nothing to say on SQLite."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    maintenance = settings.IWMS_DB_MAINTENANCE_ROLE
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_user, r.rolsuper, "
            "       pg_has_role(session_user, t.tableowner, 'MEMBER'), t.tableowner, "
            "       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) AND pg_has_role(session_user, %s, 'MEMBER') "
            "FROM pg_roles r LEFT JOIN pg_tables t "
            "       ON t.tablename = 'iwms_auditevent' AND t.schemaname = current_schema() "
            "WHERE r.rolname = session_user",
            [maintenance, maintenance],
        )
        user, superuser, owns, owner, maintains = cursor.fetchone()
    problems = []
    if superuser:
        problems.append(f"the application connects as {user!r}, a superuser: it can disable every guard")
    elif owns:
        problems.append(
            f"the application connects as {user!r}, which owns the ledger (owner {owner!r}): it can drop "
            "or disable the append-only triggers"
        )
    if maintains and not superuser:
        problems.append(f"the application's role {user!r} is a member of the maintenance role {maintenance!r}")
    return problems
