"""Journey (issue 20, triage): Sipho Dlamini (`responsible`) triages the fall of ground at
Shaft 2. He walks the category's decision tree (written by the SHEQ custodian) to its outcome,
scores the four dimensions and the urgency, asks for the proposal, keeps it with a rationale,
and the incident page shows the priority. Then Thabo (`depthead`), the owner, reads the weekly
breach trend after the post-mortem of a missed deadline.

Set-up in Python: the incident, the decision tree, one breach and its post-mortem.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import ClockKind, IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
from incidents.core.lifecycle import create_incident
from incidents.models import Breach, Category
from incidents.triage.services import breach_reviews, trees
from iwms.models import User
from organogram.models import Position
from tests.browser.conftest import log_in

TREE = """start: Is anyone hurt or in immediate danger?
  yes -> on-call
  no -> stopped
stopped: Has hoisting or production stopped?
  yes -> severity SEV-1
  no -> severity SEV-2
"""


def test_triage_with_tree_proposal_and_the_breach_trend(demo_tenant, page, screenshot):
    people = {u.username: u for u in User.objects.filter(organisation=demo_tenant)}
    category = Category.objects.get(organisation=demo_tenant, code="SAF.GEO.FOG")
    trees.save_tree(category=category, actor=people["custodian"], source=TREE)
    incident = create_incident(
        tenant=demo_tenant,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=category,
        title="Fall of ground at Shaft 2, level 8",
        narrative="A slab fell from the hanging wall next to the loading box; nobody was injured.",
        location="Shaft 2, level 8",
        severity=Severity.SEV3,
        risk_level=RiskLevel.HIGH,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(minutes=15),
        owner=people["depthead"],
        owner_position=Position.objects.get(organisation=demo_tenant, code="mining-manager"),
        responsible=people["responsible"],
        reporter=people["reporter"],
    )
    log_in(page, "responsible", settings.IWMS_DEMO_PASSWORD)
    page.goto(f"/incidents/{incident.reference}/")
    page.get_by_test_id("open-triage").click()
    page.get_by_test_id("tree-answer").filter(has_text="no").click()
    expect(page.get_by_test_id("tree-question")).to_have_text("Has hoisting or production stopped?")
    page.get_by_test_id("tree-answer").filter(has_text="no").click()
    expect(page.get_by_test_id("tree-outcome")).to_contain_text("Severity SEV-2")
    form = page.get_by_test_id("triage-form")
    for legend, level in (
        ("Confidence", 4),
        ("Blast radius", 2),
        ("Asset criticality", 3),
        ("Business impact", 2),
        ("Urgency", 3),
    ):
        form.locator("fieldset", has=page.locator("legend", has_text=legend)).get_by_label(
            f"{level} ·", exact=False
        ).check()
    page.get_by_test_id("show-proposal").click()
    expect(page.get_by_test_id("proposal")).to_contain_text("The matrix proposes SEV-2 and P2")
    page.get_by_label("Rationale").fill("Loading box out of use; the crew is safe; the tree says SEV-2.")
    screenshot("triage-step")
    page.get_by_test_id("record-triage").click()
    expect(page.get_by_test_id("triage-record")).to_contain_text("SEV-2, P2")
    expect(page.get_by_test_id("current-priority")).to_have_text("P2")
    screenshot("triage-recorded")

    now = timezone.now()
    breach = Breach.objects.create(
        organisation=demo_tenant,
        incident=incident,
        clock=ClockKind.ACKNOWLEDGE,
        due_at=now - timedelta(minutes=20),
        breached_at=now - timedelta(minutes=10),
        severity="sev2",
    )
    breach_reviews.review_breach(
        breach=breach,
        actor=people["depthead"],
        cause="capacity",
        account="The only shift boss on level 8 was at another call.",
        actions=[("Second shift boss on call", people["supervisor"], timezone.localdate() + timedelta(days=7))],
    )
    page.context.clear_cookies()
    log_in(page, "depthead", settings.IWMS_DEMO_PASSWORD)
    page.goto("/triage/")
    page.get_by_test_id("open-breach-trend").click()
    expect(page.get_by_test_id("trend-table")).to_contain_text("capacity")
    expect(page.get_by_test_id("trend-chart")).to_be_visible()
    screenshot("breach-trend")
