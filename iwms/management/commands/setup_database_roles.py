"""`manage.py setup_database_roles`: create the PostgreSQL application and maintenance roles
and grant them their privileges (run by the owner, after `migrate`; idempotent)."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from iwms.database_roles import setup_roles, use_owner_credentials


class Command(BaseCommand):
    help = (
        "Create the application role (data privileges only; SELECT and INSERT on the append-only tables) "
        "and the maintenance role (the only way around the append-only rule), and grant their privileges."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--app-password-env",
            default="IWMS_DB_APP_PASSWORD",
            help="Environment variable holding the application role's password (default IWMS_DB_APP_PASSWORD; "
            "unset: the password is left as it is).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--no-create", action="store_true", help="Only grant: the roles were created by a database administrator."
        )

    def handle(self, *args: object, app_password_env: str, database: str, no_create: bool, **options: object) -> None:
        if connections[database].vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only; the embedded SQLite database has none.")
        if use_owner_credentials(database):
            self.stdout.write("Connecting as the owner (DATABASE_OWNER_URL).")
        setup = setup_roles(app_password=os.environ.get(app_password_env) or None, using=database, create=not no_create)
        for role in setup.created:
            self.stdout.write(f"created role {role}")
        self.stdout.write(
            f"granted on database {setup.database} (owner {setup.owner}): {setup.app_role} may read and write data, "
            f"and only insert into the ledger and history tables; members of {setup.maintenance_role} may lift the "
            "append-only rule (audited). Point DATABASE_URL at the application role."
        )
