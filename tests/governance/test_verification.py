"""The monthly organogram verification: one incident per department head on the first working
day, a checklist of the unit's actual rows, and a verified snapshot on sign-off."""

from __future__ import annotations

from datetime import date

import pytest

from incidents.choices import IncidentStatus, Source, SystemReason
from incidents.governance.choices import RowVerdict
from incidents.governance.models import Verification
from incidents.governance.services.verification import (
    first_working_day,
    record_verification,
    start_monthly_verifications,
    unit_rows,
)
from incidents.models import Incident
from iwms.errors import PolicyError
from organogram.models import OrgUnit

SIGN_OFF = "I confirm the organogram of Mining is as verified above."


def test_the_first_working_day_skips_the_weekend():
    assert first_working_day(date(2026, 11, 17)) == date(2026, 11, 2)  # 1 Nov 2026 is a Sunday
    assert first_working_day(date(2026, 12, 4)) == date(2026, 12, 1)
    assert first_working_day(date(2026, 8, 31)) == date(2026, 8, 3)  # Saturday the 1st


def test_verifications_start_once_on_the_first_working_day_for_each_department_head(mine, people):
    assert start_monthly_verifications(today=date(2026, 12, 2)) == []
    started = start_monthly_verifications(today=date(2026, 12, 1))
    departments = OrgUnit.objects.filter(organisation=mine, kind="department")
    assert {v.unit for v in started} <= set(departments) and len(started) >= 5
    mining = next(v for v in started if v.unit.code == "mining")
    incident = Incident.objects.get(pk=mining.incident_id)
    assert incident.source == Source.SYSTEM and incident.system_reason == SystemReason.ORGANOGRAM_VERIFICATION
    assert incident.responsible == people["depthead"] and incident.owner == people["depthead"]
    assert incident.resolve_due_at is not None  # on the normal SLA clocks
    assert start_monthly_verifications(today=date(2026, 12, 1)) == []
    assert Verification.objects.filter(unit__code="mining").count() == 1


def _mining(mine) -> Verification:
    start_monthly_verifications(today=date(2026, 12, 1))
    return Verification.objects.get(unit__code="mining")


def test_signing_off_completes_the_workflow_and_keeps_the_snapshot(mine, people):
    verification = _mining(mine)
    rows = unit_rows(verification.unit)
    assert "Shift Boss, Shift A" in [row.title for row in rows]  # the section below is included
    verdicts = {row.key: (RowVerdict.CONFIRMED, "") for row in rows}
    verdicts[rows[0].key] = (RowVerdict.CHANGED, "Reporting line moved to the overseer on the 1st.")
    done = record_verification(
        verification=verification, actor=people["depthead"], verdicts=verdicts, sign_off=SIGN_OFF
    )
    assert done.verifier == people["depthead"] and done.verified_at is not None
    assert len(done.snapshot) == len(rows)
    assert done.snapshot[0]["verdict"] == RowVerdict.CHANGED and done.snapshot[0]["holder"] == rows[0].holder
    incident = Incident.objects.get(pk=done.incident_id)
    assert incident.status in {IncidentStatus.HALF_CLOSED, IncidentStatus.PENDING_CLOSURE}


def test_a_corrected_row_needs_to_say_what_changed(mine, people):
    verification = _mining(mine)
    rows = unit_rows(verification.unit)
    verdicts = {row.key: (RowVerdict.CONFIRMED, "") for row in rows}
    verdicts[rows[1].key] = (RowVerdict.CHANGED, "")
    with pytest.raises(PolicyError) as refused:
        record_verification(verification=verification, actor=people["depthead"], verdicts=verdicts, sign_off=SIGN_OFF)
    assert refused.value.context["field"] == rows[1].key
    verification.refresh_from_db()
    assert verification.verified_at is None


def test_only_the_responsible_person_signs_off(mine, people):
    verification = _mining(mine)
    verdicts = {row.key: (RowVerdict.CONFIRMED, "") for row in unit_rows(verification.unit)}
    with pytest.raises(PolicyError) as refused:
        record_verification(verification=verification, actor=people["supervisor"], verdicts=verdicts, sign_off=SIGN_OFF)
    assert refused.value.code == "access_denied"
