"""`manage.py migrate`, run as the tables' owner when `DATABASE_OWNER_URL` is set.

The application's own role (DATABASE_URL) owns nothing and cannot create tables, so schema
changes connect with the owner's credentials; afterwards the roles are re-granted their
privileges on whatever tables the migrations created (`iwms.database_roles`)."""

from __future__ import annotations

from django.core.management.commands import migrate

from iwms.database_roles import use_owner_credentials


class Command(migrate.Command):
    help = migrate.Command.help + " Connects with DATABASE_OWNER_URL's credentials when it is set."

    def handle(self, *args: object, **options: object) -> None:
        if use_owner_credentials(str(options["database"])):
            self.stdout.write("Connecting as the owner (DATABASE_OWNER_URL).")
        super().handle(*args, **options)
