"""Journey: the responsible person corrects the incident's account and hands the whole
responsibility to the mine overseer from the work page; on SEV-2 it waits until the overseer
accepts it on "my items", and the owner never changes."""

from __future__ import annotations

from playwright.sync_api import expect

from incidents.core import lifecycle
from incidents.models import Incident
from iwms.models import User
from tests.browser.test_work_page import fall_of_ground, sign_in, sign_out  # noqa: F401 - fixture


def test_account_correction_and_a_sev2_handoff_accepted_on_my_items(page, fall_of_ground, screenshot):  # noqa: F811
    responsible = User.objects.get(username="responsible")
    incident = lifecycle.acknowledge_incident(incident=fall_of_ground, actor=responsible)
    owner = incident.owner

    sign_in(page, "responsible", "Sipho Dlamini")
    page.goto(f"/incidents/{incident.reference}/work/")
    page.get_by_test_id("correct-account").click()
    page.get_by_label("Why the account changes").fill("Short")
    page.get_by_role("button", name="Save the corrected account").click()
    expect(page.locator(".field-error").first).to_be_visible()  # too short a reason, next to its field
    page.get_by_label("Add a POLE entity (optional)").select_option("person")
    page.get_by_label("Its name").fill("Lerato Mabuza")
    page.get_by_label("Its role").fill("witness")
    page.get_by_label("Why the account changes").fill("The witness was found after the report was made.")
    page.get_by_role("button", name="Save the corrected account").click()
    expect(page.get_by_text("The account is corrected")).to_be_visible()
    assert incident.pole_entities.filter(name="Lerato Mabuza").exists()

    actions = page.get_by_role("region", name="Incident actions")
    actions.locator("summary", has_text="Delegate the whole responsibility").click()
    # The people picker is searchable and offers only people who can act: no auditor or regulator.
    hand_to = actions.get_by_label("Hand to")
    assert "Grace Olivier" not in hand_to.inner_text() and "Daniel Mokgosi" not in hand_to.inner_text()
    actions.get_by_test_id("people-filter").fill("botha")
    visible = hand_to.locator("option:not([hidden])").all_inner_texts()
    assert [name for name in visible if name != "Choose a person"] == ["Pieter Botha"]
    assert hand_to.input_value() != ""  # the only match is chosen
    screenshot("handoff-0-people-filter")
    hand_to.select_option(label="Pieter Botha")
    actions.get_by_label("Reason").select_option("absence")
    actions.get_by_label("Hand-off note").fill("On leave from tomorrow; the crew list is on step 2.")
    actions.get_by_role("button", name="Delegate", exact=True).click()
    expect(page.get_by_text("it takes effect when they accept")).to_be_visible()
    assert Incident.objects.get(pk=incident.pk).responsible == responsible
    screenshot("handoff-1-proposed")
    sign_out(page)

    sign_in(page, "supervisor", "Pieter Botha")
    page.get_by_role("link", name="My items").click()
    handoff = page.get_by_test_id("handoff")
    expect(handoff).to_contain_text(incident.reference)
    screenshot("handoff-2-waiting")
    handoff.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Hand-off accepted.")).to_be_visible()
    moved = Incident.objects.get(pk=incident.pk)
    assert moved.responsible.username == "supervisor" and moved.owner == owner
