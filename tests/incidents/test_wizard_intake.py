"""The wizard as a new user met it (issue 13): where it happened routes the report, the time
survives a revisit, what is typed survives a refresh, external providers report, the drill
category stays out of real reporting, and proposals claim no certainty they lack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.choices import Source
from incidents.intake.proposals import CategoryInfo, CategoryProposer
from incidents.intake.services import intake
from incidents.intake.services.proposals import proposer_for
from incidents.models import Category, Incident, ReportDraft
from organogram.models import OrgUnit

pytestmark = pytest.mark.django_db


def occurred(minutes: int = 30) -> str:
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def context_values(unit: OrgUnit, **overrides: str) -> dict[str, str]:
    values = {
        "unit": str(unit.pk),
        "location": "Conveyor 3, processing plant",
        "severity": "sev2",
        "risk_level": "high",
        "time_sensitivity": "urgent",
        "occurred_at": occurred(),
        "narrative": "Smoke and flames at the tail pulley of conveyor 3; the belt was stopped and the fire put out.",
        "pole-TOTAL_FORMS": "0",
        "pole-INITIAL_FORMS": "0",
    }
    values.update(overrides)
    return values


def start(client) -> tuple[ReportDraft, callable]:
    client.get(reverse("report_start"))
    draft = ReportDraft.objects.latest("created_at")
    return draft, lambda name: reverse("report_step", args=[draft.token, name])


def report_through_the_wizard(client, unit: OrgUnit, category: str = "SAF.FIRE.EQUIP") -> Incident:
    draft, step = start(client)
    assert client.post(step("kind"), {"kind": "incident", "title": "Conveyor belt caught fire"}).status_code == 302
    assert client.post(step("classification"), {"category": category}).status_code == 302
    assert client.post(step("context"), context_values(unit)).status_code == 302
    assert client.post(step("confirm")).status_code == 302
    draft.refresh_from_db()
    return draft.incident


def test_a_plant_fire_reported_by_a_miner_goes_to_the_plant(client, people, mine):
    client.force_login(people["reporter"])
    plant = OrgUnit.objects.get(organisation=mine, code="plant")
    incident = report_through_the_wizard(client, plant)
    assert incident.unit == plant
    assert incident.owner_position.unit == plant, incident.owner_position
    assert incident.owner.username != "depthead"  # the Mining Manager does not own a plant fire
    # The responsible person is the plant's head, not the miner's shift boss.
    assert incident.responsible.username != "responsible"


def test_where_it_happened_defaults_to_the_reporters_unit(client, people, mine):
    client.force_login(people["reporter"])
    draft, step = start(client)
    client.post(step("kind"), {"kind": "incident", "title": "Slab fell at Shaft 2"})
    client.post(step("classification"), {"category": "SAF.GEO.FOG"})
    page = client.get(step("context"))
    own_unit = intake.draft_unit(draft)
    assert page.context["form"]["unit"].value() == own_unit.pk
    client.post(step("context"), context_values(own_unit, location="Shaft 2, level 8"))
    client.post(step("confirm"))
    incident = Incident.objects.get(title="Slab fell at Shaft 2")
    assert (incident.owner.username, incident.responsible.username) == ("depthead", "responsible")


def test_a_unit_of_another_tenant_is_refused_with_a_message(client, people, mine):
    from incidents.demo.builder import build_second_tenant

    other_unit = OrgUnit.objects.filter(organisation=build_second_tenant(password="pw-demo-12345")).first()
    client.force_login(people["reporter"])
    _draft, step = start(client)
    client.post(step("kind"), {"kind": "incident", "title": "Slab fell at Shaft 2"})
    client.post(step("classification"), {"category": "SAF.GEO.FOG"})
    response = client.post(step("context"), context_values(other_unit))
    assert response.status_code == 422
    assert "unit" in response.context["form"].errors


def test_revisiting_the_context_step_keeps_when_it_happened(client, people, mine):
    client.force_login(people["reporter"])
    _draft, step = start(client)
    client.post(step("kind"), {"kind": "incident", "title": "Slab fell at Shaft 2"})
    client.post(step("classification"), {"category": "SAF.GEO.FOG"})
    when = occurred(45)
    plant = OrgUnit.objects.get(organisation=mine, code="plant")
    assert client.post(step("context"), context_values(plant, occurred_at=when)).status_code == 302
    page = client.get(step("context")).content.decode()
    assert f'value="{when}"' in page  # shown in the field's own format, not ISO with an offset
    # Next again with what the page shows works.
    assert client.post(step("context"), context_values(plant, occurred_at=when)).status_code == 302


def test_what_is_typed_is_kept_before_next_and_shown_after_a_refresh(client, people, mine):
    client.force_login(people["reporter"])
    draft, step = start(client)
    typed = reverse("report_typed", args=[draft.token, "kind"])
    assert client.post(typed, {"kind": "incident", "title": "Belt fire at conv"}).status_code == 204
    page = client.get(step("kind")).content.decode()
    assert 'value="Belt fire at conv"' in page
    client.post(step("kind"), {"kind": "incident", "title": "Belt fire at conveyor 3"})
    client.post(step("classification"), {"category": "SAF.FIRE.EQUIP"})
    typed = reverse("report_typed", args=[draft.token, "context"])
    client.post(
        typed,
        {"location": "Conveyor 3", "narrative": "Half a sentence", "pole-0-type": "person", "pole-0-name": "Jane Doe"},
    )
    page = client.get(step("context")).content.decode()
    assert "Half a sentence" in page and 'value="Conveyor 3"' in page and "Jane Doe" in page
    draft.refresh_from_db()
    assert draft.data["title"] == "Belt fire at conveyor 3" and "kind" not in draft.data["typed"]


def test_typing_into_a_submitted_report_or_someone_elses_draft_is_refused(client, people, mine):
    client.force_login(people["reporter"])
    draft, _step = start(client)
    client.force_login(people["responsible"])
    assert client.post(reverse("report_typed", args=[draft.token, "kind"]), {"title": "x"}).status_code == 404
    draft.refresh_from_db()
    assert "typed" not in draft.data


def test_external_providers_report_with_their_source(client, people, mine):
    client.force_login(people["provider"])
    plant = OrgUnit.objects.get(organisation=mine, code="plant")
    incident = report_through_the_wizard(client, plant)
    assert incident.source == Source.EXTERNAL_PROVIDER and incident.reporter == people["provider"]
    assert incident.owner_position.unit == plant


def test_the_drill_category_is_not_offered_to_reporters(client, people, mine):
    from incidents.demo.drill import drill_category

    drill = drill_category(mine)
    client.force_login(people["reporter"])
    _draft, step = start(client)
    client.post(step("kind"), {"kind": "incident", "title": "Escalation drill refuge bay"})
    page = client.get(step("classification")).content.decode()
    assert drill.name not in page
    response = client.post(step("classification"), {"category": drill.code})
    assert response.status_code == 422
    assert all(p.code != drill.code for p in proposer_for(mine).propose("escalation drill exercise"))


def test_the_mining_template_knows_fire_injury_and_near_miss(mine):
    codes = set(Category.objects.filter(organisation=mine).values_list("code", flat=True))
    assert {"SAF.FIRE.EQUIP", "SAF.INJ.MEDICAL", "SAF.INJ.FIRSTAID", "SAF.NEAR.MISS"} <= codes
    assert proposer_for(mine).propose("Conveyor belt caught fire at the plant")[0].code == "SAF.FIRE.EQUIP"


def test_a_proposal_without_evidence_claims_no_certainty():
    proposer = CategoryProposer().fit(
        [
            CategoryInfo("OPS.CONV", "Conveyor breakdown", ("conveyor", "belt", "breakdown")),
            CategoryInfo("ENV.DUST", "Dust", ("dust",)),
            CategoryInfo("SEC.GATE", "Gate", ("gate",)),
        ]
    )
    # "fire" is a word no category knows: one known word must not make a certainty.
    top = proposer.propose("Conveyor fire burning fiercely")[0]
    assert top.code == "OPS.CONV" and top.score <= 0.5
    # Words that match nothing still give three proposals, none with a claim.
    fallback = proposer.propose("xyzzy plugh")
    assert len(fallback) == 3 and all(p.score == 0 and p.words == () for p in fallback)
