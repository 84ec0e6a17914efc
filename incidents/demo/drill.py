"""The escalation drill of the demo tenant: an incident that goes late minutes after `make run`
and escalates by itself, one level at a time, up to the top of the hierarchy.

It is an ordinary incident in a demo-only category, "Escalation drill", whose SLA policy
"Demo: fast clock" gives every severity 1 minute to acknowledge and 2 to resolve. The
failure-to-complete incidents the sweep creates take their category (and so this policy) from
the late item, so each level of the chain is due 2 minutes after it is raised: with beat's
sweep every minute, Sipho Dlamini's drill escalates to his supervisor about 2–3 minutes after
seeding, to the department head 2–3 minutes later, then to the top, and stops there with a
maturity signal after about 10 minutes. Production targets and the tenant's other categories
are untouched.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.choices import RiskLevel, Severity
from incidents.demo.incidents import report_as_the_wizard_does
from incidents.intake.services.corrections import save_classification
from incidents.models import Category, Incident, SlaPolicy
from iwms.models import Organisation, User
from iwms.request_context import acting
from organogram.models import Position

SEED_ACTOR = "system:seed_demo"
POLICY_CODE = "demo-fast-clock"
CATEGORY_CODE = "SAF.DRILL"
ACK_MINUTES = 1
RESOLVE_MINUTES = 2
DRILL_TITLE = "Escalation drill: refuge bay air supply not restored at Shaft 2, level 10"
DRILL_NARRATIVE = (
    "Drill. The compressed-air supply to the refuge bay on level 10 was isolated for pipe work and has not "
    "been restored. Nobody is underground in the section. This incident runs on the demo's fast clock "
    "(1 minute to acknowledge, 2 to resolve): leave it alone and watch it escalate to the supervisor, the "
    "department head and the top of the hierarchy."
)


def fast_clock_policy(tenant: Organisation) -> SlaPolicy:
    """'Demo: fast clock': every severity acknowledges in 1 minute and resolves in 2."""
    policy = SlaPolicy.objects.filter(organisation=tenant, code=POLICY_CODE).first()
    if policy is None:
        minutes = {}
        for n in range(1, 5):
            minutes[f"sev{n}_ack_minutes"] = ACK_MINUTES
            minutes[f"sev{n}_resolve_minutes"] = RESOLVE_MINUTES
        policy = save_classification(
            obj=SlaPolicy(organisation=tenant, code=POLICY_CODE, name="Demo: fast clock", **minutes),
            actor=SEED_ACTOR,
            how="by the demo seed, for the escalation drill",
        )
    return policy


def drill_category(tenant: Organisation) -> Category:
    """The demo-only 'Escalation drill' category under Safety, on the fast clock."""
    category = Category.objects.filter(organisation=tenant, code=CATEGORY_CODE).first()
    if category is not None:
        return category
    policy = fast_clock_policy(tenant)
    category = Category(
        organisation=tenant,
        parent=Category.objects.get(organisation=tenant, code="SAF"),
        code=CATEGORY_CODE,
        name="Escalation drill (demo: fast clock)",
        description="Drills of the escalation chain. Its SLA policy is the demo's fast clock: "
        f"{ACK_MINUTES} minute to acknowledge, {RESOLVE_MINUTES} to resolve, whatever the severity.",
        keywords="drill, exercise, escalation drill",
        default_severity=Severity.SEV2,
        default_risk=RiskLevel.MEDIUM,
        sla_policy=policy,
        custodian_position=Position.objects.filter(organisation=tenant, code="sheq-custodian").first(),
        offered_to_reporters=False,  # the drill is seeded, never reported through the wizard
    )
    return save_classification(
        obj=category, actor=SEED_ACTOR, how=f"by the demo seed, on the SLA policy '{policy}', for the escalation drill"
    )


def seed_escalation_drill(*, tenant: Organisation) -> Incident | None:
    """Create the drill incident once (by title), reported now by `reporter` and routed as the
    wizard routes it (owner: the Mining Manager; responsible: the reporter's shift boss). Left
    unacknowledged, it breaches and escalates without anyone touching it. Returns None when it
    exists already."""
    if Incident.objects.for_tenant(tenant).filter(title=DRILL_TITLE).exists():
        return None
    reporter = User.objects.get(organisation=tenant, username="reporter")
    with acting(SEED_ACTOR), transaction.atomic():
        category = drill_category(tenant)
        incident = report_as_the_wizard_does(
            reporter=reporter,
            category=category,
            title=DRILL_TITLE,
            narrative=DRILL_NARRATIVE,
            location="Shaft 2, level 10, refuge bay",
            severity=Severity.SEV2,
            risk_level=RiskLevel.MEDIUM,
            occurred_at=timezone.now() - timedelta(minutes=2),
        )
    return incident
