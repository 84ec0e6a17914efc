"""The closure queue page, the decision page, reopening and re-routing from the incident page:
anonymous, another tenant, people who may not decide, the decider, HTMX, and query budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.choices import DecisionKind, IncidentStatus, Severity
from incidents.closure.services import closure, mismatches
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.demo.builder import build_second_tenant
from incidents.models import Category, ClosureDecision, Escalation, Incident
from incidents.work.services import execution as work
from iwms.models import AuditEvent, User
from organogram.hierarchy import assignments_at
from organogram.models import OrgUnit, Position
from tests.incidents.test_closure import CHECKLIST
from tests.incidents.test_review_loop import complete_and_review, own_account, work_through
from workflows.choices import RunKind, StepStatus
from workflows.models import Review, Step

QUEUE = reverse("closure_queue")


@pytest.fixture
def to_pending(people):
    """Move an incident to pending closure through the services: workflow started,
    acknowledged, every mandatory step done, completed and reviewed."""

    def move(incident: Incident) -> Incident:
        incident_workflows.start_incident_workflow(incident=incident)
        incident = lifecycle.acknowledge_incident(incident=incident, actor=incident.responsible)
        # An account of its own: the review refuses a narrative copied from the tenant's other incidents.
        incident = work.correct_account(
            incident=incident,
            actor=incident.responsible,
            narrative=own_account(incident),
            location=incident.location,
            reason="A fuller account before completing.",
        )
        work_through(incident)
        outcome = complete_and_review(incident, incident.responsible)
        assert outcome.status == IncidentStatus.PENDING_CLOSURE, Review.objects.last().findings
        return outcome

    return move


@pytest.fixture
def waiting(make_incident, to_pending):
    return to_pending(make_incident(title="Slab fall at the loading box"))


def decision_url(incident: Incident, action: str = "") -> str:
    if not action:
        return reverse("closure_decision", args=[incident.reference])
    return reverse(f"closure_{action}", args=[incident.reference])


def rows(response) -> list[str]:
    body = response.content.decode()
    return [chunk.split('"', 1)[0] for chunk in body.split('data-testid="queue-row" data-reference="')[1:]]


# --- who sees what ----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, waiting):
    for url in (QUEUE, decision_url(waiting)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(decision_url(waiting, "approve"), {})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Incident.objects.get(pk=waiting.pk).status == IncidentStatus.PENDING_CLOSURE


def test_another_tenant_sees_an_empty_queue_and_no_incident(client, waiting):
    build_second_tenant(password="pw-other-12345")
    client.force_login(User.objects.get(username="karoo.md"))
    assert rows(client.get(QUEUE)) == []
    assert client.get(decision_url(waiting)).status_code == 404
    assert client.post(decision_url(waiting, "reject"), {"instructions": "x" * 40}).status_code == 404
    assert Incident.objects.get(pk=waiting.pk).status == IncidentStatus.PENDING_CLOSURE


def test_the_supervisor_sees_what_waits_for_them_most_urgent_first(client, people, make_incident, to_pending):
    later = to_pending(make_incident(title="Later", severity=Severity.SEV3))
    sooner = to_pending(make_incident(title="Sooner", severity=Severity.SEV1))
    shift_b = to_pending(make_incident(title="Shift B", responsible=people["kmokoena"], reporter=people["bzulu"]))
    make_incident(title="Still open")  # not pending closure
    other_line = to_pending(make_incident(title="Plant", responsible=people["cfourie"], reporter=people["smaseko"]))
    from tests.incidents.test_closure import corrections_required_review

    corrections_required_review(later)  # the last review is the one shown
    client.force_login(people["supervisor"])
    response = client.get(QUEUE)
    assert response.status_code == 200
    listed = rows(response)
    assert set(listed) == {later.reference, sooner.reference, shift_b.reference}
    assert listed[0] == sooner.reference and listed.index(shift_b.reference) < listed.index(later.reference)
    assert other_line.reference not in listed
    body = response.content.decode()
    assert "satisfied" in body and reverse("incident_work", args=[sooner.reference]) in body
    assert 'corrections required <small class="muted">(review 2)' in body and "The photo repeats another step" in body
    assert 'data-testid="nav-closure-queue"' in body


def test_nobody_below_means_no_nav_item_and_an_empty_queue(client, people, waiting):
    client.force_login(people["reporter"])
    response = client.get(QUEUE)
    assert rows(response) == [] and 'data-testid="nav-closure-queue"' not in response.content.decode()
    assert 'data-testid="queue-empty"' in response.content.decode()


def test_department_head_sees_what_escalated_to_her(client, people, waiting, mine):
    client.force_login(people["depthead"])
    assert rows(client.get(QUEUE)) == []
    Escalation.objects.create(
        organisation=mine,
        incident=waiting,
        level=2,
        to_person=people["depthead"],
        to_position=Position.objects.get(code="mining-manager"),
        reason="Resolve deadline missed",
        escalated_at=timezone.now(),
    )
    response = client.get(QUEUE)
    assert rows(response) == [waiting.reference] and "escalated to you" in response.content.decode()


def test_a_vacant_supervisor_sends_the_queue_one_level_up(client, people, waiting):
    from organogram.services import end_assignment

    end_assignment(assignment=assignments_at().get(position__code="mine-overseer"))
    client.force_login(people["depthead"])
    assert rows(client.get(QUEUE)) == [waiting.reference]
    client.force_login(people["supervisor"])
    assert rows(client.get(QUEUE)) == []


def test_filters_by_severity_category_and_unit_and_answers_htmx_with_the_list(
    client, people, make_incident, to_pending, mine
):
    sev1 = to_pending(make_incident(title="Critical", severity=Severity.SEV1))
    spill = Category.objects.get(organisation=mine, code="ENV.SPILL.CHEM")
    chemical = to_pending(make_incident(title="Spill", category=spill))
    client.force_login(people["supervisor"])
    assert rows(client.get(QUEUE, {"severity": "sev1"})) == [sev1.reference]
    assert rows(client.get(QUEUE, {"category": spill.pk})) == [chemical.reference]
    underground = OrgUnit.objects.get(code="mining-ug")
    assert set(rows(client.get(QUEUE, {"unit": underground.pk}))) == {sev1.reference, chemical.reference}
    assert rows(client.get(QUEUE, {"unit": OrgUnit.objects.get(code="plant").pk})) == []
    fragment = client.get(QUEUE, {"severity": "sev1"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body and 'id="queue-list"' in body
    assert rows(fragment) == [sev1.reference] and "HX-Request" in fragment["Vary"]
    page = client.get(QUEUE).content.decode()
    assert '<label for="id_severity">' in page and '<label for="id_unit">' in page


def test_queue_pages_by_25_and_keeps_the_filter(client, people, make_incident, to_pending):
    for n in range(27):
        to_pending(make_incident(title=f"Slab {n}", severity=Severity.SEV2))
    client.force_login(people["supervisor"])
    first = client.get(QUEUE, {"severity": "sev2"})
    assert len(rows(first)) == 25 and "severity=sev2&amp;page=2" in first.content.decode()
    assert len(rows(client.get(QUEUE, {"severity": "sev2", "page": 2}))) == 2
    assert len(rows(client.get(QUEUE, {"severity": "sev2", "page": 9}))) == 2  # past the end: the last page
    assert len(rows(client.get(QUEUE, {"page": "two"}))) == 25
    assert "27 incidents waiting" in client.get(QUEUE, {"page": 2}).content.decode()


def test_queue_query_count_does_not_grow_with_rows(
    client, people, make_incident, to_pending, django_assert_max_num_queries
):
    for _ in range(3):
        to_pending(make_incident())
    client.force_login(people["supervisor"])
    client.get(QUEUE)  # the first asking compiles the queue's query (SQLite probes its JSON support then)
    # The session, the user, the decision scope, the page with its count, the filter lists, the header.
    with django_assert_max_num_queries(6) as few:
        assert len(rows(client.get(QUEUE))) == 3
    for _ in range(27):
        to_pending(make_incident())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(rows(client.get(QUEUE))) == 25


def test_a_row_shows_the_review_and_its_findings_escaped(client, people, make_incident, to_pending):
    found = to_pending(make_incident(title="Hoist <rope> & sheave"))
    Review.objects.filter(run__subject_id=str(found.pk)).update(
        findings=[{"message": "Photo of the <rope> missing"}, {"message": "Sign-off & date absent"}]
    )
    plain = to_pending(make_incident(title="Plain"))
    Review.objects.filter(run__subject_id=str(plain.pk)).delete()
    client.force_login(people["supervisor"])
    body = client.get(QUEUE).content.decode()
    assert "Hoist &lt;rope&gt; &amp; sheave" in body and "<rope>" not in body
    assert (
        '<ul class="findings-list"><li>Photo of the &lt;rope&gt; missing</li><li>Sign-off &amp; date absent</li></ul>'
        in body
    )
    assert body.count('<span class="muted">not reviewed</span>') == 1
    assert f'href="{decision_url(found)}" role="button" data-testid="decide"' in body
    assert f'href="{reverse("incident_work", args=[found.reference])}">Steps and evidence</a>' in body


def test_the_compiled_page_reads_what_the_queue_queryset_reads(people, make_incident, to_pending, mine):
    from incidents.closure.selectors import closure_queue_for, closure_queue_page

    made = [
        to_pending(make_incident(title=f"Slab {n}", severity=(Severity.SEV1, Severity.SEV3)[n % 2])) for n in range(7)
    ]
    spill = Category.objects.get(organisation=mine, code="ENV.SPILL.CHEM")
    made.append(to_pending(make_incident(title="Spill", category=spill)))
    Escalation.objects.create(
        organisation=mine,
        incident=made[0],
        level=2,
        to_person=people["depthead"],
        to_position=Position.objects.get(code="mining-manager"),
        reason="Resolve deadline missed",
        escalated_at=timezone.now(),
    )
    underground = OrgUnit.objects.get(code="mining-ug").pk
    asked = [
        {},
        {"severity": Severity.SEV1},
        {"category_id": spill.pk},
        {"unit_id": underground},
        {"unit_id": underground, "severity": Severity.SEV3},
        {"unit_id": OrgUnit.objects.get(code="plant").pk},
    ]
    for person in (people["supervisor"], people["depthead"], people["responsible"]):
        for filters in asked:
            queue = closure_queue_for(person, **filters)
            whole = list(queue)
            for number, size in ((1, 3), (2, 3), (3, 3), (1, 25)):
                expected = whole[(number - 1) * size : number * size]
                got, page, total = closure_queue_page(person, number=number, size=size, **filters)
                if not expected:  # past the end: the last page (the first, of an empty queue)
                    last = max(1, (len(whole) - 1) // size + 1)
                    expected, number = whole[(last - 1) * size : last * size], last
                assert (got, page, total) == (expected, number, len(whole)), (person.username, filters, number)
    depthead_queue, _, _ = closure_queue_page(people["depthead"], number=1, size=25, unit_id=underground)
    assert [row["reference"] for row in depthead_queue if row["escalated_to_me"]] == [made[0].reference]


# --- the decision page ------------------------------------------------------------------------


def test_decision_page_offers_the_forms_to_the_decider_and_explains_to_others(client, people, waiting):
    client.force_login(people["supervisor"])
    page = client.get(decision_url(waiting)).content.decode()
    assert "You decide as Mine Overseer" in page
    assert 'name="impact"' in page and 'name="instructions"' in page and 'name="items_make_safe"' in page
    assert 'data-testid="approve"' in page and "disabled" not in page.split('data-testid="approve"')[1][:20]
    client.force_login(people["depthead"])  # above, may see it, may not decide
    page = client.get(decision_url(waiting)).content.decode()
    assert "Only Pieter Botha (Mine Overseer)" in page
    assert page.split('data-testid="approve"')[1].lstrip().startswith("disabled")
    client.force_login(people["kmokoena"])  # a peer of the responsible person sees nothing
    assert client.get(decision_url(waiting)).status_code == 404


def test_approving_needs_the_whole_checklist_next_to_its_fields_with_text_kept(client, people, waiting):
    client.force_login(people["supervisor"])
    fields = {name: getattr(CHECKLIST, name) for name in ("impact", "root_cause", "actions_taken", "residual_risk")}
    refused = client.post(decision_url(waiting, "approve"), {**fields, "preventive_tasks": ""})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'id="id_preventive_tasks-error"' in body and CHECKLIST.root_cause in body
    done = client.post(decision_url(waiting, "approve"), {**fields, "preventive_tasks": CHECKLIST.preventive_tasks})
    assert done.status_code == 302 and done["Location"] == QUEUE
    assert Incident.objects.get(pk=waiting.pk).status == IncidentStatus.CLOSED
    assert "closed" in client.get(QUEUE).content.decode()


def test_service_refusal_lands_next_to_its_field(client, people, waiting):
    client.force_login(people["supervisor"])
    # The form takes a justification of any length; the service wants 30 characters, and its
    # refusal comes back next to the field.
    from tests.incidents.test_closure import corrections_required_review

    corrections_required_review(waiting)
    page = client.get(decision_url(waiting)).content.decode()
    assert 'data-testid="override"' in page and 'data-testid="approve"' not in page
    fields = {name: getattr(CHECKLIST, name) for name in CHECKLIST.__dataclass_fields__}
    refused = client.post(decision_url(waiting, "override"), {**fields, "justification": "Photo is fine."})
    assert refused.status_code == 422
    assert 'id="id_justification-error"' in refused.content.decode()
    assert "validation.invalid" in refused.content.decode() and "Photo is fine." in refused.content.decode()


def test_reject_and_more_evidence_from_the_page(client, people, make_incident, to_pending):
    rejected, asked = to_pending(make_incident()), to_pending(make_incident())
    client.force_login(people["supervisor"])
    short = client.post(decision_url(rejected, "reject"), {"instructions": "redo"})
    assert short.status_code == 422 and 'id="id_instructions-error"' in short.content.decode()
    done = client.post(decision_url(rejected, "reject"), {"instructions": "Photograph the extra bolts at the box."})
    assert done.status_code == 302 and Incident.objects.get(pk=rejected.pk).status == IncidentStatus.IN_PROGRESS
    none = client.post(decision_url(asked, "more_evidence"), {"items_make_safe": "  "})
    assert none.status_code == 422 and "at least one item" in none.content.decode()
    done = client.post(
        decision_url(asked, "more_evidence"),
        {"items_make_safe": "A photo of the second access way\nThe barricade register entry"},
    )
    assert done.status_code == 302
    decision = ClosureDecision.objects.get(kind=DecisionKind.MORE_EVIDENCE)
    assert [item["item"] for item in decision.requested_items] == [
        "A photo of the second access way",
        "The barricade register entry",
    ]


def test_people_who_may_not_decide_are_refused_and_audited(client, people, waiting):
    client.force_login(people["depthead"])
    refused = client.post(decision_url(waiting, "reject"), {"instructions": "Photograph the extra bolts at the box."})
    assert refused.status_code == 403 and "Only Pieter Botha" in refused.content.decode()
    assert AuditEvent.objects.filter(action="access_denied", actor=people["depthead"]).exists()
    client.force_login(people["responsible"])
    assert client.post(decision_url(waiting, "approve"), {}).status_code == 403
    assert Incident.objects.get(pk=waiting.pk).status == IncidentStatus.PENDING_CLOSURE


def test_mismatch_from_the_page_names_the_new_incident(client, people, waiting):
    client.force_login(people["supervisor"])
    done = client.post(
        decision_url(waiting, "mismatch"), {"note": "The shift boss post was merged into Shift B last month."}
    )
    assert done.status_code == 302
    spawned = Incident.objects.get(parent=waiting)
    assert spawned.reference in client.get(QUEUE).content.decode()
    page = client.get(decision_url(waiting)).content.decode()
    assert 'data-testid="open-mismatch"' in page and spawned.reference in page


# --- the work page after a decision --------------------------------------------------------


def test_work_page_lists_the_corrective_step_and_the_requested_items(client, people, make_incident, to_pending):
    rejected = to_pending(make_incident())
    closure.reject_closure(
        incident=rejected, actor=people["supervisor"], instructions="Install two extra roof bolts at the box."
    )
    client.force_login(people["responsible"])
    page = client.get(reverse("incident_work", args=[rejected.reference])).content.decode()
    assert "Carry out the supervisor&#x27;s instructions" in page and "Install two extra roof bolts" in page
    assert "The supervisor&#x27;s instructions are not yet carried out" in page
    step = Step.objects.get(run__kind=RunKind.CORRECTIVE)
    response = client.post(
        reverse("step_evidence", args=[rejected.reference, step.pk]),
        {
            f"s{step.pk}-kind": "narrative",
            f"s{step.pk}-text": "Two extra roof bolts installed at the loading box and tested to 10 t.",
            f"s{step.pk}-relevance": "What was done on the instructions",
            f"s{step.pk}-source": "upload",
            f"s{step.pk}-collected_at": timezone.localtime(timezone.now() - timedelta(minutes=3)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            f"s{step.pk}-location": "Shaft 2, level 8",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and step.evidence.count() == 1

    asked = to_pending(make_incident())
    closure.request_more_evidence(
        incident=asked,
        actor=people["supervisor"],
        items=[{"step": "make_safe", "item": "A photo of the barricade from the second access way"}],
    )
    page = client.get(reverse("incident_work", args=[asked.reference])).content.decode()
    assert 'data-testid="requested-evidence"' in page and "second access way" in page
    assert Step.objects.get(run=work.workflow_of(asked), key="make_safe").status != StepStatus.COMPLETED


# --- reopen and re-route on the incident page ------------------------------------------------


def test_reopen_from_the_incident_page(client, people, waiting):
    closure.approve_closure(incident=waiting, actor=people["supervisor"], checklist=CHECKLIST)
    url = reverse("incident_reopen", args=[waiting.reference])
    detail = reverse("incident_detail", args=[waiting.reference])
    client.force_login(people["supervisor"])
    page = client.get(detail).content.decode()
    assert 'data-testid="reopen-refused"' in page and "above Mine Overseer" in page
    assert client.post(url, {"reason": "The hanging wall failed again at the same place."}).status_code == 403
    client.force_login(people["depthead"])
    assert 'data-testid="reopen-submit"' in client.get(detail).content.decode()
    short = client.post(url, {"reason": "again"}, headers={"HX-Request": "true"})
    body = short.content.decode()
    assert short.status_code == 422 and 'id="id_reason-error"' in body and "<html" not in body and "again" in body
    plain = client.post(url, {"reason": "again"})
    assert plain.status_code == 422 and "<html" in plain.content.decode()
    done = client.post(
        url, {"reason": "The hanging wall failed again at the same place."}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 204 and done["HX-Redirect"] == detail
    assert Incident.objects.get(pk=waiting.pk).status == IncidentStatus.IN_PROGRESS


def test_other_tenant_and_anonymous_cannot_reopen(client, people, waiting):
    closure.approve_closure(incident=waiting, actor=people["supervisor"], checklist=CHECKLIST)
    url = reverse("incident_reopen", args=[waiting.reference])
    assert "/accounts/login/" in client.post(url, {"reason": "x" * 30})["Location"]
    build_second_tenant(password="pw-other-12345")
    client.force_login(User.objects.get(username="karoo.md"))
    assert client.post(url, {"reason": "x" * 30}).status_code == 404


def test_reroute_from_the_mismatch_incident_page(client, people, waiting):
    spawned = mismatches.report_organogram_mismatch(
        incident=waiting, actor=people["supervisor"], note="The shift boss post was merged into Shift B."
    ).spawned_incident
    detail = reverse("incident_detail", args=[spawned.reference])
    client.force_login(people["depthead"])
    page = client.get(detail).content.decode()
    assert 'data-testid="routing-check"' in page and "Pieter Botha" in page and 'data-testid="reroute"' in page
    done = client.post(reverse("incident_reroute", args=[spawned.reference]))
    assert done.status_code == 302 and done["Location"] == detail
    assert AuditEvent.objects.filter(action="assign", object_id=str(waiting.pk)).exists()
    client.force_login(people["supervisor"])
    assert client.post(reverse("incident_reroute", args=[spawned.reference])).status_code == 404
    assert client.post(reverse("incident_reroute", args=[waiting.reference])).status_code == 404


def test_a_category_of_another_tenant_is_refused_next_to_the_filter_and_the_queue_stays_whole(client, people):
    other = build_second_tenant(password="pw-other-12345")
    foreign = Category.objects.for_tenant(other).first()
    client.force_login(people["supervisor"])
    response = client.get(reverse("closure_queue"), {"category": foreign.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["category"] == [form.INVALID]
    assert (
        response.context["page"].paginator.count == client.get(reverse("closure_queue")).context["page"].paginator.count
    )


def test_turning_a_page_reads_no_filter_lists(client, people, django_assert_max_num_queries):
    client.force_login(people["supervisor"])
    client.get(reverse("closure_queue"))
    # The session, the user, the decision scope, the page with its count, the filter lists, the header.
    with django_assert_max_num_queries(6):
        client.get(reverse("closure_queue"))
    # A page turn answers with the list fragment alone: no filter lists, no header. (Page 2 of
    # this short queue is past its end: the turn counts the queue and reads its last page.)
    with django_assert_max_num_queries(6) as turn:
        client.get(reverse("closure_queue"), {"page": "2"}, HTTP_HX_REQUEST="true")
    assert not any(
        table in q["sql"]
        for q in turn.captured_queries
        for table in ('FROM "incidents_category"', 'FROM "organogram_orgunit"', '"arc_rolegrant"')
    )
