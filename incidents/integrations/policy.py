"""Who may manage a tenant's integrations: its tenant admins (sources, rules, tokens and
webhooks alike)."""

from __future__ import annotations

from arc.roles import may_administer_tenant
from iwms.decisions import Decision
from iwms.errors import PolicyError
from iwms.models import User


def may_manage_integrations(user: User) -> Decision:
    decision = may_administer_tenant(user)
    if not decision:
        return Decision(False, "Only tenant admins register sources and subscribe webhooks.")
    return decision


def check_manage_integrations(user: User) -> None:
    decision = may_manage_integrations(user)
    if not decision:
        raise PolicyError("access_denied", decision.reason, tenant=getattr(user, "organisation", None))
