"""The incident's own closure service refuses a SEV-1/2 whose review is not in place, and
closes it once it is (the gate registered with `incidents.core.gates`)."""

from __future__ import annotations

import pytest

from incidents.choices import IncidentStatus
from incidents.closure.services import closure
from incidents.response.choices import Moment, RoleKind
from incidents.response.services import moments, review, roles
from iwms.errors import PolicyError
from tests.incidents.conftest import acknowledged, pending, worked  # noqa: F401
from tests.incidents.test_closure import CHECKLIST


def test_closure_waits_for_the_accepted_review_and_its_action_items(adopted, pending, people):  # noqa: F811
    adopted.commander_severities = []  # the fixture acknowledges without a commander; the review gate is under test
    adopted.save()
    incident = pending()
    with pytest.raises(PolicyError) as refused:
        closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    assert refused.value.code == "response.review_required"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.PENDING_CLOSURE
    roles.assign_role(incident=incident, role=RoleKind.COMMANDER, holder=people["kmokoena"], actor=people["depthead"])
    moments.record_moment(incident=incident, moment=Moment.RESOLVED, actor=people["kmokoena"])
    pir = incident.post_incident_review
    pir = review.save_review(
        review=pir,
        actor=people["kmokoena"],
        depth="lightweight",
        summary="Slab fell.",
        root_cause="Scaling missed.",
        contributing_factors="Blast vibration.",
        what_worked="Barricade.",
        what_failed="Scaling schedule.",
    )
    review.submit_review(review=pir, actor=people["kmokoena"])
    review.accept_review(review=pir, actor=people["depthead"])
    closure.approve_closure(incident=incident, actor=people["supervisor"], checklist=CHECKLIST)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
