"""System checks for the ledger's protection: `check --deploy` warns when the checkpoint key is
missing, and `check --deploy --database default` when the application's database login could
rewrite the ledger (a superuser, the tables' owner, or a member of the maintenance role)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def check_ledger_key(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    from iwms.ledger_checkpoints import ledger_key

    if settings.EMBEDDED:
        return []
    try:
        ledger_key()
    except ImproperlyConfigured as exc:
        return [Warning(str(exc), hint="Set IWMS_LEDGER_KEY or IWMS_LEDGER_KEY_FILE.", id="iwms.W010")]
    return []


@register(Tags.database, deploy=True)
def check_application_role(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Warning]:
    from iwms.database_roles import role_problems

    warnings = []
    for alias in databases or ():
        for problem in role_problems(alias):
            warnings.append(
                Warning(
                    problem,
                    hint="Run `manage.py setup_database_roles` as the owner and point DATABASE_URL at the "
                    f"application role ({settings.IWMS_DB_APP_ROLE}); see the README.",
                    id="iwms.W011",
                )
            )
    return warnings
