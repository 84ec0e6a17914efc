"""Demo grants, so the auditor and the regulator find incidents at /portal/ out of the box: each
is asked for by the SHEQ category custodian over the Safety subtree (incidents reported later
included) and issued by the tenant admin, through the same services as the Grants pages."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.access.services import grants
from incidents.models import AccessGrant, Category
from iwms.models import Organisation, User

SAFETY = "SAF"
DEMO_GRANTS = [
    # grantee, days until it expires, purpose
    ("auditor", 365, "Internal audit: group assurance review of safety incident handling"),
    ("regulator", 180, "Inspector of Mines: inspection of safety incidents (Mine Health and Safety Act, s54)"),
]


def seed_demo_grants(*, tenant: Organisation) -> list[AccessGrant]:
    """Request and issue the demo grants once (a grantee who has any grant is left alone)."""
    people = {user.username: user for user in User.objects.filter(organisation=tenant)}
    safety = Category.objects.get(organisation=tenant, code=SAFETY)
    issued = []
    with transaction.atomic():
        for username, days, purpose in DEMO_GRANTS:
            grantee = people[username]
            if AccessGrant.objects.for_tenant(tenant).filter(grantee=grantee).exists():
                continue
            requested = grants.request_grant(
                tenant=tenant,
                actor=people["custodian"],
                grantee=grantee,
                purpose=purpose,
                expires_at=timezone.now() + timedelta(days=days),
                category=safety,
                covers_later_incidents=True,
            )
            issued.append(grants.issue_grant(grant=requested, actor=people["admin"]))
    return issued
