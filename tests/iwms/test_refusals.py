"""`PolicyError` and its catalogue of stable codes; refusals are recorded in the tenant's ledger
exactly once and answered as a page, an HTMX fragment or JSON with the code's status."""

from __future__ import annotations

import json
import logging
import pickle
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory

from iwms.errors import CATALOGUE, PolicyError
from iwms.models import AuditEvent, User
from iwms.refusals import PolicyErrorMiddleware, audited_refusals, record_refusal
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- the catalogue --------------------------------------------------------------------------


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match=r"unknown PolicyError code 'made\.up'"):
        PolicyError("made.up", "Whatever.")


def test_every_catalogue_code_has_an_http_status_and_a_description():
    assert len(CATALOGUE) >= 10
    for code, entry in CATALOGUE.items():
        assert entry.code == code
        assert entry.http_status in {400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500}, code
        assert entry.description.endswith("."), code
        assert PolicyError(code).http_status == entry.http_status


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("access_denied", 403),
        ("tenant.cross_reference", 403),
        ("transition.forbidden", 403),
        ("transition.not_allowed", 409),
        ("transition.conflict", 409),
        ("validation.invalid", 422),
        ("audit.chain_broken", 500),
    ],
)
def test_the_codes_named_in_the_design_answer_with_their_status(code, status):
    assert CATALOGUE[code].http_status == status


def test_the_message_defaults_to_the_code_description_and_context_is_kept():
    error = PolicyError("access_denied", step=3)
    assert error.message == CATALOGUE[error.code].description
    assert error.context == {"step": 3}
    assert str(error) == f"{error.code}: {error.message}"


def test_as_dict_is_plain_json_even_when_the_context_holds_a_row(tenant):
    at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    error = PolicyError(
        "validation.invalid", "Not here.", tenant=tenant, organisation=tenant, at=at, steps=(1, 2), odd=object
    )
    body = error.as_dict()
    assert body == {
        "code": "validation.invalid",
        "kind": "input",
        "message": "Not here.",
        "context": {
            "organisation": f"iwms.organisation:{tenant.pk}",
            "at": "2026-03-01T08:30:00Z",
            "steps": [1, 2],
            "odd": "<class 'object'>",
        },
    }
    assert json.loads(json.dumps(body)) == body


def test_a_policy_error_survives_pickling(tenant):
    """Exceptions cross process boundaries (task results, multiprocessing) by pickling."""
    error = PolicyError("transition.not_allowed", "Cannot do that now.", tenant=tenant, state="closed")
    error.audit_event_id = 41
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.code, copy.message, copy.context, copy.audit_event_id) == (
        "transition.not_allowed",
        "Cannot do that now.",
        {"state": "closed"},
        41,
    )
    assert copy.tenant == tenant and str(copy) == str(error)


# --- recording ----------------------------------------------------------------------------


def refusals(tenant):
    return AuditEvent.objects.filter(
        organisation=tenant, action__in=["access_denied", "transition_denied", "input_refused"]
    )


def test_a_refusal_is_recorded_once_however_often_it_is_handled(tenant):
    error = PolicyError("access_denied", tenant=tenant, object_type="tests.item", object_id="7")
    record_refusal(error)
    record_refusal(error)
    event = refusals(tenant).get()
    assert event.pk == error.audit_event_id
    assert (event.object_type, event.object_id, event.changes) == (
        "tests.item",
        "7",
        {"code": "access_denied", "kind": "access"},
    )


def test_the_ledger_records_the_kind_of_each_refusal_so_a_typo_is_never_access_denied(tenant):
    record_refusal(PolicyError("transition.conflict", tenant=tenant))
    record_refusal(PolicyError("validation.invalid", tenant=tenant))
    record_refusal(PolicyError("closure.checklist_incomplete", tenant=tenant))
    record_refusal(PolicyError("closure.not_supervisor", tenant=tenant))
    record_refusal(PolicyError("transition.forbidden", tenant=tenant))
    record_refusal(PolicyError("auth.second_factor_invalid", tenant=tenant))
    rows = refusals(tenant).order_by("seq")
    assert [(event.action, event.changes["kind"]) for event in rows] == [
        ("transition_denied", "state"),
        ("input_refused", "input"),
        ("input_refused", "input"),
        ("access_denied", "access"),
        ("transition_denied", "access"),
        ("access_denied", "access"),
    ]


def test_every_code_of_the_catalogue_has_a_kind_its_status_implies():
    for entry in CATALOGUE.values():
        if entry.declared_kind:
            continue
        expected = {422: "input", 413: "input", 403: "access", 401: "access", 429: "access"}.get(
            entry.http_status, "state"
        )
        assert entry.kind == expected, entry.code


def test_a_refusal_goes_to_the_actors_tenant_when_the_error_names_none(tenant, giver):
    record_refusal(PolicyError("access_denied"), actor=giver)
    assert refusals(tenant).get().actor == giver


def test_a_refusal_without_any_tenant_is_logged_not_recorded(caplog):
    error = PolicyError("tenant.missing", who="nobody")
    with caplog.at_level(logging.WARNING, logger="iwms.refusals"):
        record_refusal(error)
    assert error.audited is True
    assert not AuditEvent.objects.exists()
    assert "refusal without a tenant" in caplog.text


def test_a_context_holding_a_row_is_recorded_as_its_label(tenant):
    record_refusal(PolicyError("validation.invalid", tenant=tenant, organisation=tenant))
    assert refusals(tenant).get().changes == {
        "code": "validation.invalid",
        "kind": "input",
        "organisation": f"iwms.organisation:{tenant.pk}",
    }


def test_a_record_rolled_back_with_a_savepoint_is_written_again_at_the_boundary(tenant):
    """The first record went with the savepoint that rolled back; the outer boundary — still
    inside a transaction — must notice and record the refusal again."""
    error = PolicyError("access_denied", tenant=tenant)
    with pytest.raises(PolicyError), transaction.atomic(), audited_refusals():
        raise error
    assert error.audit_event_id is not None
    assert not refusals(tenant).exists()  # rolled back with the savepoint
    record_refusal(error)  # e.g. PolicyErrorMiddleware
    assert refusals(tenant).get().pk == error.audit_event_id


def test_recording_inside_a_broken_transaction_leaves_the_refusal_for_the_outer_boundary(tenant, giver):
    error = PolicyError("access_denied", tenant=tenant)
    with pytest.raises(PolicyError), transaction.atomic(savepoint=False):
        with pytest.raises(IntegrityError):  # a caught database error breaks the transaction
            User.objects.create(pk=giver.pk, username="duplicate", organisation=tenant)
        assert connection.needs_rollback
        with audited_refusals():  # must not hide the refusal behind TransactionManagementError
            raise error
    assert error.audit_event_id is None and not error.audited


# --- responses ----------------------------------------------------------------------------


@pytest.mark.urls("tests.iwms.urls")
@pytest.mark.parametrize(
    ("headers", "content_type", "fragment"),
    [
        pytest.param({}, "text/html", False, id="page"),
        pytest.param({"HTTP_HX_REQUEST": "true"}, "text/html", True, id="htmx"),
        pytest.param({"HTTP_ACCEPT": "application/json"}, "application/json", False, id="json"),
    ],
)
def test_a_refusal_escaping_a_view_is_answered_with_its_status_and_audited(
    client, tenant, giver, headers, content_type, fragment
):
    client.force_login(giver)
    response = client.get("/kernel-tests/refuse/", **headers)
    assert response.status_code == 422
    assert response["Content-Type"].startswith(content_type)
    if content_type == "application/json":
        assert json.loads(response.content)["error"] == {
            "code": "validation.invalid",
            "kind": "input",
            "message": "The organisation is not valid here.",
            "context": {"organisation": f"iwms.organisation:{tenant.pk}"},
        }
    else:
        assert b'data-error-code="validation.invalid"' in response.content
        assert b"The organisation is not valid here." in response.content
        assert (b"<html" not in response.content) is fragment
        assert response.get("HX-Retarget") == ("#refusals" if fragment else None)
    event = refusals(tenant).get()
    assert event.actor == giver and event.request_id == response["X-Request-ID"]


def test_the_middleware_leaves_other_exceptions_alone():
    request = RequestFactory().get("/")
    assert PolicyErrorMiddleware(lambda r: None).process_exception(request, RuntimeError("boom")) is None


def test_an_api_path_is_answered_in_json_even_without_an_accept_header(tenant):
    request = RequestFactory().post("/api/v1/incidents/")
    request.user = UserFactory(organisation=tenant)
    response = PolicyErrorMiddleware(lambda r: None).process_exception(
        request, PolicyError("transition.not_allowed", "Cannot do that now.", tenant=tenant)
    )
    assert response.status_code == 409
    assert json.loads(response.content)["error"]["code"] == "transition.not_allowed"
    assert refusals(tenant).get().actor == request.user
