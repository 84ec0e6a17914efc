"""Problems and known errors end to end through the services (seed 001 SOP 19): raised with the
similar-problem check, owned by ARC, linked both ways to incidents, a workaround making it a
known error, resolved, and closed only after a stability window with no recurrence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.problems.choices import ProblemStatus
from incidents.problems.models import Problem, ProblemIncidentLink, ProblemSettings
from incidents.problems.selectors import problem_links_of
from incidents.problems.services import lifecycle, links
from incidents.problems.services.raising import raise_problem
from incidents.problems.services.settings import save_problem_settings
from iwms.errors import PolicyError
from iwms.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db


def events(obj, action=None):
    rows = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(rows.filter(action=action) if action else rows)


def test_a_raised_problem_is_owned_and_worked_by_whom_arc_says_and_recorded(raise_one, people):
    problem = raise_one()
    assert problem.reference.startswith("PRB-") and problem.status == ProblemStatus.LOGGED
    # ARC: the mine's accountability rule for fall of ground, and the raiser's supervisor.
    assert problem.owner == people["depthead"] and problem.owner_position.code == "mining-manager"
    assert problem.responsible == people["supervisor"]
    (created,) = events(problem, "create")
    assert created.changes["owner"] == [None, "depthead"] and created.actor == people["responsible"]
    assert Notification.objects.filter(event="problem.assigned", recipient=people["depthead"]).exists()


def test_raising_a_problem_like_an_active_one_is_refused_until_confirmed_different(raise_one, people):
    first = raise_one()
    with pytest.raises(PolicyError) as refused:
        raise_one(actor=people["reporter"], title="Hanging wall slabs falling again on level 8")
    assert refused.value.code == "problem.similar_exists"
    assert refused.value.context["similar"] == [first.reference]
    assert refused.value.context["field"] == "similar_confirmed"
    assert AuditEvent.objects.filter(action="input_refused", changes__code="problem.similar_exists").exists()
    second = raise_one(actor=people["reporter"], title="Hanging wall slabs again", similar_confirmed=True)
    assert second.pk != first.pk
    assert events(second, "create")[0].changes["similar_confirmed"] == [first.reference]


def test_an_unrelated_problem_raises_no_warning(raise_one, people):
    raise_one()
    other = raise_one(
        title="Conveyor belt tears at transfer point",
        description="The main conveyor belt tears where the chute drops ore onto it.",
    )
    assert other.status == ProblemStatus.LOGGED


def test_links_are_two_way_and_counted(raise_one, make_incident, people):
    problem = raise_one()
    incidents = [make_incident() for _ in range(3)]
    for incident in incidents:
        links.link_incident(problem=problem, incident=incident, actor=people["responsible"])
    problem.refresh_from_db()
    assert problem.linked_incident_count == 3 and problem.recurrence_count == 0
    assert [link.problem for link in problem_links_of(incidents[0])] == [problem]
    # Both sides carry the link in their ledger: the incident's timeline shows it.
    assert len(events(problem, "link")) == 3
    (on_incident,) = events(incidents[1], "link")
    assert problem.reference in on_incident.message
    with pytest.raises(PolicyError) as again:
        links.link_incident(problem=problem, incident=incidents[0], actor=people["responsible"])
    assert again.value.code == "problem.already_linked"


def test_someone_unrelated_to_problem_and_incident_may_not_link_them(raise_one, make_incident, people):
    problem = raise_one()
    incident = make_incident()
    with pytest.raises(PolicyError) as refused:
        links.link_incident(problem=problem, incident=incident, actor=people["top"])
    assert refused.value.code == "access_denied"
    assert not ProblemIncidentLink.objects.exists()
    assert AuditEvent.objects.filter(action="access_denied", object_id=str(problem.pk)).exists()


def test_raising_from_an_incident_carries_its_unit_and_links_it(make_incident, people, fall_of_ground):
    incident = make_incident()
    problem = raise_problem(
        actor=people["responsible"],
        title=incident.title,
        description=incident.narrative,
        category=fall_of_ground,
        detection_source="incident",
        from_incident=incident,
    )
    assert problem.raised_from == incident and problem.linked_incident_count == 1


def test_workaround_makes_a_known_error_published_as_a_kb_update(raise_one, people):
    problem = raise_one()
    problem = lifecycle.start_investigation(problem=problem, actor=people["supervisor"])
    with pytest.raises(PolicyError) as empty:
        lifecycle.record_workaround(problem=problem, actor=people["supervisor"], workaround="  ")
    assert empty.value.code == "validation.invalid" and empty.value.context["field"] == "workaround"
    problem = lifecycle.record_workaround(
        problem=problem, actor=people["supervisor"], workaround="Bar down and re-support before each shift."
    )
    assert problem.status == ProblemStatus.KNOWN_ERROR and problem.is_known_error and problem.known_error_at
    (published,) = events(problem, "kb_update")
    assert published.changes["status"] == ["under_investigation", "known_error"]


def test_only_owner_or_responsible_works_the_problem(raise_one, people):
    problem = raise_one()
    with pytest.raises(PolicyError) as refused:
        lifecycle.start_investigation(problem=problem, actor=people["reporter"])
    assert refused.value.code == "access_denied"
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.LOGGED


def _resolved(raise_one, people, at):
    problem = lifecycle.start_investigation(problem=raise_one(), actor=people["supervisor"])
    return lifecycle.resolve_problem(
        problem=problem,
        actor=people["supervisor"],
        root_cause="Bolt spacing too wide for the jointed ground on level 8.",
        resolution="Spacing reduced to 1 m; no fall in three blasts.",
        now=at,
    )


def test_closing_inside_the_stability_window_is_refused(raise_one, people):
    now = timezone.now()
    problem = _resolved(raise_one, people, now)
    assert problem.stable_until == now + timedelta(days=14)
    with pytest.raises(PolicyError) as refused:
        lifecycle.close_problem(problem=problem, actor=people["depthead"], now=now + timedelta(days=13))
    assert refused.value.code == "problem.stability_window"
    assert Problem.objects.get(pk=problem.pk).status == ProblemStatus.RESOLVED
    assert AuditEvent.objects.filter(action="transition_denied", changes__code="problem.stability_window").exists()
    closed = lifecycle.close_problem(problem=problem, actor=people["depthead"], now=now + timedelta(days=14, minutes=1))
    assert closed.status == ProblemStatus.CLOSED and events(closed, "close")


def test_a_recurrence_restarts_the_stability_window(raise_one, people, make_incident):
    resolved_at = timezone.now() - timedelta(days=20)
    problem = _resolved(raise_one, people, resolved_at)
    link = links.link_incident(problem=problem, incident=make_incident(), actor=people["responsible"])
    problem.refresh_from_db()
    assert link.is_recurrence and problem.recurrence_count == 1
    assert problem.stable_until > timezone.now() + timedelta(days=13)
    with pytest.raises(PolicyError) as refused:
        lifecycle.close_problem(problem=problem, actor=people["depthead"])
    assert refused.value.code == "problem.stability_window"


def test_only_the_owner_closes(raise_one, people):
    problem = _resolved(raise_one, people, timezone.now() - timedelta(days=30))
    with pytest.raises(PolicyError) as refused:
        lifecycle.close_problem(problem=problem, actor=people["supervisor"])
    assert refused.value.code == "access_denied"


def test_the_stability_window_is_configured_per_tenant(raise_one, people, mine):
    save_problem_settings(obj=ProblemSettings(organisation=mine, stability_days=3), actor=people["admin"])
    now = timezone.now()
    problem = _resolved(raise_one, people, now)
    assert problem.stable_until == now + timedelta(days=3)


def test_a_fix_that_did_not_hold_reopens_the_investigation(raise_one, people):
    problem = _resolved(raise_one, people, timezone.now())
    problem = lifecycle.reopen_investigation(problem=problem, actor=people["supervisor"], reason="Fell again on 12th")
    assert problem.status == ProblemStatus.UNDER_INVESTIGATION and problem.stable_until is None
