from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class IwmsConfig(AppConfig):
    name = "iwms"
    verbose_name = "IWMS kernel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from iwms import database_roles, db_guards, ledger_checks, sessions, stored_datetimes  # noqa: F401 - checks register

        # Database guards follow the schema: reinstalled (idempotently) after every migrate, and
        # the PostgreSQL roles re-granted on the tables it created (once they exist).
        post_migrate.connect(db_guards.install_after_migrate, sender=self, dispatch_uid="iwms_db_guards")
        post_migrate.connect(database_roles.grant_after_migrate, sender=self, dispatch_uid="iwms_role_grants")
        # Every sign-in, whatever path made it, stamps the session the session limits count from.
        user_logged_in.connect(sessions.stamp_signed_in_session, dispatch_uid="iwms_session_stamp")
        # A date or time Python cannot hold (a year before 1 AD in PostgreSQL) reads as the
        # nearest one it can, so one bad row never fails the pages that show it.
        connection_created.connect(stored_datetimes.install_on_connect, dispatch_uid="iwms_stored_datetimes")
