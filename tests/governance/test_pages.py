"""The organogram pages: who sees and changes what, refusals next to the form that caused them,
the chart and the CSV, and query budgets that do not grow with the rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from incidents.governance.models import HrEvent
from incidents.governance.services.verification import start_monthly_verifications
from organogram import services as organogram
from organogram.models import OrgUnit, Position

REASON = "Verification showed the line is wrong."


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_unit_page_shows_holders_vacancies_and_the_forms_to_the_head(people):
    page = as_user(people["mnaidoo"]).get(reverse("governance:unit", args=["plant"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Assistant Plant Supervisor" in body and 'data-testid="vacant"' in body
    assert 'data-testid="move-submit"' in body
    # The mining head reads the plant's page but may not change it.
    other = as_user(people["depthead"]).get(reverse("governance:unit", args=["plant"]))
    assert other.status_code == 200 and 'data-testid="move-submit"' not in other.content.decode()


def test_outsiders_and_other_tenants_do_not_see_the_organogram(people, mine):
    assert as_user(people["auditor"]).get(reverse("governance:organogram")).status_code == 403
    assert Client().get(reverse("governance:organogram")).status_code == 302


def test_a_refused_cycle_is_shown_next_to_the_move_form(people):
    response = as_user(people["depthead"]).post(
        reverse("governance:position_move", args=["mine-overseer"]),
        {"move-reports_to": Position.objects.get(code="miner-a1").pk, "move-reason": REASON},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "reporting cycle" in body and "organogram.cycle" in body
    assert Position.objects.get(code="mine-overseer").parent.code == "mining-manager"


def test_a_head_moves_a_position_from_the_page(people):
    response = as_user(people["depthead"]).post(
        reverse("governance:position_move", args=["geotech"]),
        {"move-reports_to": Position.objects.get(code="mine-overseer").pk, "move-reason": REASON},
    )
    assert response.status_code == 302
    assert Position.objects.get(code="geotech").parent.code == "mine-overseer"
    page = as_user(people["depthead"]).get(reverse("governance:unit", args=["mining"]))
    assert REASON in page.content.decode()


def test_another_units_head_is_refused(people):
    response = as_user(people["depthead"]).post(
        reverse("governance:position_retire", args=["plant-asst-supervisor"]), {"retire-reason": REASON}
    )
    assert response.status_code == 403
    assert Position.objects.get(code="plant-asst-supervisor").is_active


def test_the_chart_marks_vacancies_and_the_csv_lists_every_position(people):
    client = as_user(people["top"])
    svg = client.get(reverse("governance:unit_chart", args=["plant"]))
    assert svg["Content-Type"] == "image/svg+xml"
    body = svg.content.decode()
    assert 'data-position="plant-asst-supervisor"' in body and "vacant" in body and "stroke-dasharray" in body
    csv = client.get(reverse("governance:unit_csv", args=["mining"])).content.decode().splitlines()
    assert csv[0].startswith("unit,position_code,title")
    assert any(line.startswith("mining-ug,shift-boss-a,") and line.endswith(",responsible,") for line in csv)


def test_the_tenant_admin_enters_an_hr_event_and_bad_input_shows_at_the_field(people):
    client = as_user(people["admin"])
    bad = client.post(reverse("governance:hr_events"), {"kind": "transfer", "person": "responsible"})
    assert bad.status_code == 422 and "position must be a position code" in bad.content.decode()
    good = client.post(
        reverse("governance:hr_events"), {"kind": "hire", "person": "no.such.person", "position": "geotech"}
    )
    assert good.status_code == 302
    assert HrEvent.objects.get().mismatch_reference
    assert as_user(people["depthead"]).get(reverse("governance:hr_events")).status_code == 403


def test_the_verification_checklist_is_signed_off_from_its_page(people, mine):
    start_monthly_verifications(today=date(2026, 12, 1))
    assert as_user(people["depthead"]).get(reverse("governance:verification", args=["plant"])).status_code == 403
    client = as_user(people["mnaidoo"])
    page = client.get(reverse("governance:verification", args=["plant"]))
    assert page.status_code == 200 and 'data-testid="checklist-row"' in page.content.decode()
    rows = [name for name in page.context["form"].fields if name.startswith("position-") and "-note" not in name]
    data = {name: "confirmed" for name in rows}
    data["sign_off"] = "I confirm the plant organogram is as verified above."
    assert client.post(reverse("governance:verification", args=["plant"]), data).status_code == 302
    unit_page = client.get(reverse("governance:unit", args=["plant"])).content.decode()
    assert 'data-testid="last-verified"' in unit_page


@pytest.mark.parametrize("extra", [0, 30])
def test_the_unit_page_query_budget_does_not_grow_with_positions(people, mine, extra, django_assert_max_num_queries):
    unit = OrgUnit.objects.get(code="plant")
    head = Position.objects.get(code="plant-manager")
    for n in range(extra):
        organogram.create_position(
            tenant=mine, code=f"plant-extra-{n}", title=f"Operator {n}", unit=unit, reports_to=head
        )
    client = as_user(people["mnaidoo"])
    with django_assert_max_num_queries(30):
        assert client.get(reverse("governance:unit", args=["plant"])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("governance:organogram")).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("governance:unit_chart", args=["plant"])).status_code == 200
