"""Every typed date and time falls between 1 January 1900 and shortly after now (deadlines and
expiries: a few years ahead), with the message next to the field; and a date Python cannot
hold, already stored, never fails a page (issue 13: evidence "collected at" 0001-01-01)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.access.forms import GrantRequestForm
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.intake.forms import ContextForm
from incidents.work.forms import EvidenceForm, PauseForm
from iwms.date_bounds import DEADLINE_HORIZON, out_of_bounds
from iwms.errors import PolicyError
from tests.incidents.test_work import add_photo, own_steps, png
from workflows.models import Evidence

LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def started(make_incident, people):
    incident = make_incident()
    incident_workflows.start_incident_workflow(incident=incident)
    return lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"])


def _evidence_data(prefix: str, collected_at: str) -> dict:
    return {
        f"{prefix}-kind": "photo",
        f"{prefix}-files": [png("red")],
        f"{prefix}-relevance": "Barricade across the drive",
        f"{prefix}-source": "upload",
        f"{prefix}-collected_at": collected_at,
        f"{prefix}-location": "Shaft 2, level 8",
    }


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0001-01-01T00:00", "on or after 1 January 1900"),
        ("1899-12-31T23:59", "on or after 1 January 1900"),
        ("9999-12-31T23:59", "no later than"),
    ],
)
def test_evidence_form_refuses_a_date_outside_the_range_next_to_the_field(typed, message):
    form = EvidenceForm(
        {"kind": "narrative", "text": "x", "relevance": "Shows it", "source": "upload", "collected_at": typed}
    )
    assert not form.is_valid()
    assert any(message in error for error in form.errors["collected_at"])


def test_evidence_form_takes_now_and_1900_and_refuses_two_days_ahead():
    def form(moment: str) -> EvidenceForm:
        return EvidenceForm(
            {"kind": "narrative", "text": "x", "relevance": "Shows it", "source": "upload", "collected_at": moment}
        )

    assert form(timezone.localtime().strftime(LOCAL)).is_valid()
    assert form("1900-01-01T00:00").is_valid()
    assert "collected_at" in form((timezone.localtime() + timedelta(days=2)).strftime(LOCAL)).errors


def test_the_date_picker_is_told_the_same_range():
    html = str(EvidenceForm(prefix="s1")["collected_at"])
    assert 'min="1900-01-01T00:00"' in html and 'max="' in html


def test_deadlines_reach_years_ahead_but_not_forever(people):
    ahead = timezone.localtime() + timedelta(days=400)
    data = {"responsible": str(people["supervisor"].pk), "request": "The survey report", "due_at": ""}
    assert PauseForm({**data, "due_at": ahead.strftime(LOCAL)}, user=people["responsible"]).is_valid()
    far = PauseForm({**data, "due_at": "9000-01-01T00:00"}, user=people["responsible"])
    assert not far.is_valid() and "no later than" in far.errors["due_at"][0]


def test_report_wizard_and_grant_form_use_the_same_bounds(people):
    context = ContextForm({"occurred_at": "0001-01-01T00:00"}, tenant=people["reporter"].organisation)
    assert not context.is_valid() and "1900" in context.errors["occurred_at"][0]
    grant = GrantRequestForm(
        {"scope": "subtree", "reported_from": "0001-01-01", "expires_on": "9999-12-31", "purpose": "Audit"},
        user=people["depthead"],
    )
    assert not grant.is_valid()
    assert "1900" in grant.errors["reported_from"][0]
    assert "no later than" in grant.errors["expires_on"][0]


def test_year_one_on_the_work_page_is_a_422_with_the_message_and_nothing_stored(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    client.force_login(people["responsible"])
    prefix = f"s{step.pk}"
    response = client.post(
        reverse("step_evidence", args=[started.reference, step.pk]), _evidence_data(prefix, "0001-01-01T00:00")
    )
    assert response.status_code == 422
    assert "on or after 1 January 1900" in response.content.decode()
    assert not Evidence.objects.filter(step=step).exists()
    assert client.get(reverse("incident_work", args=[started.reference])).status_code == 200


def test_the_service_refuses_an_out_of_range_date_from_any_caller(started, people):
    step = own_steps(started, people["responsible"])[0]
    with pytest.raises(PolicyError) as refused:
        add_photo(started, step, people["responsible"], collected_at=timezone.now().replace(year=1, month=1, day=2))
    assert refused.value.code == "validation.invalid" and refused.value.context["field"] == "collected_at"
    assert out_of_bounds(timezone.now() + DEADLINE_HORIZON - timedelta(hours=1), horizon=DEADLINE_HORIZON) == ""


def test_admin_date_fields_are_bounded_too(client, mine):
    from iwms.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-12345")
    client.force_login(admin)
    response = client.get(reverse("admin:arc_apitoken_add"))
    form = response.context["adminform"].form
    form_class = type(form)
    bound = form_class(data={"expires_at_0": "0001-01-01", "expires_at_1": "00:00", "name": "x"})
    assert not bound.is_valid() and "1900" in str(bound.errors["expires_at"])


@pytest.mark.postgres_only(reason="only PostgreSQL stores years before 1 AD")
@pytest.mark.skipif(connections["default"].vendor != "postgresql", reason="PostgreSQL only")
def test_a_stored_year_before_1_ad_never_fails_the_pages_that_show_it(client, started, people):
    step = own_steps(started, people["responsible"])[0]
    item = add_photo(started, step, people["responsible"])
    with transaction.atomic(), connection.cursor() as cursor:
        # As a database superuser could, past the append-only guards: the value issue 13 stored.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE workflows_evidence SET collected_at = '0001-12-31 22:08:00+00 BC' WHERE id = %s", [item.pk]
        )
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    stored = Evidence.objects.get(pk=item.pk)
    assert stored.collected_at.year == 1  # read as the earliest instant Python holds
    client.force_login(people["responsible"])
    page = client.get(reverse("incident_work", args=[started.reference]))
    assert page.status_code == 200
    from iwms.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-12345"))
    assert client.get(reverse("admin:workflows_evidence_changelist")).status_code == 200
    assert client.get(reverse("admin:workflows_evidence_change", args=[item.pk])).status_code == 200
