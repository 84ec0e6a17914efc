"""What SEV-1 … SEV-4 mean in a tenant: its own `SeverityDefinition` rows, else the defaults
for its industry — seed 003's wording (platform, data, tenant isolation) for IT and security
tenants, the mining wording for everyone else. Shown wherever severity is chosen."""

from __future__ import annotations

import re

from incidents.choices import SEVERITY_DEFINITIONS, Severity
from iwms.models import Organisation

MINING_DEFINITIONS: dict[str, str] = dict(SEVERITY_DEFINITIONS)

# Seed 003 ("Incident Severity Levels"): definition, then response expectations.
IT_DEFINITIONS: dict[str, str] = {
    Severity.SEV1: "Critical: platform unavailable, data corruption risk, or a security breach or tenant isolation "
    "failure. Immediate response, all hands on deck, leadership notified.",
    Severity.SEV2: "High: major functionality impaired, or governance or modelling blocked for multiple tenants. "
    "Rapid response, a dedicated incident owner, frequent updates.",
    Severity.SEV3: "Medium: partial degradation, non-critical features impacted, or performance issues without "
    "data risk. Timely response, standard escalation.",
    Severity.SEV4: "Low: a minor issue or anomaly with no material user impact. Scheduled resolution; "
    "no escalation required.",
}

_IT_INDUSTRY = re.compile(r"\b(it|ict|software|technology|cyber|security|saas|cloud|digital)\b", re.IGNORECASE)


def default_definitions(industry: str) -> dict[str, str]:
    """The wording a tenant of `industry` starts from (seed 003 for IT and security tenants)."""
    return dict(IT_DEFINITIONS if _IT_INDUSTRY.search(industry or "") else MINING_DEFINITIONS)


def definitions_for(tenant: Organisation | int) -> dict[str, str]:
    """Severity value → what it means in `tenant`, in one query: its own definitions where it
    has them, the industry defaults for the rest."""
    from incidents.models import SeverityDefinition

    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    industry = (
        tenant.industry
        if isinstance(tenant, Organisation)
        else Organisation.objects.filter(pk=tenant_id).values_list("industry", flat=True).first() or ""
    )
    definitions = default_definitions(industry)
    for severity, text, response in SeverityDefinition.objects.filter(organisation_id=tenant_id).values_list(
        "severity", "definition", "response"
    ):
        definitions[severity] = f"{text} {response}".strip()
    return definitions
