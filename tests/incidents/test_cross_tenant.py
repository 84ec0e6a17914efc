"""Lookups across tenants: the same 404 as a key that names nothing, a refusal in the ledger of
the user's own tenant naming only the key and the kind of row, and — when one user keeps
trying — an alert to the tenant admins of both tenants, once per window."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from arc.choices import Role
from arc.cross_tenant import ALERT_CODE, ALERT_EVENT, AlertWindow, raise_alert_if_repeated
from arc.services import grant_role
from incidents.access.services import grants
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.demo.builder import build_second_tenant
from incidents.intake.services import intake
from incidents.work.services import execution as work
from iwms import notifications
from iwms.models import AuditEvent, Notification, User
from tests.incidents.test_work import add_photo, own_steps

pytestmark = pytest.mark.django_db


@pytest.fixture
def karoo(mine):
    return build_second_tenant(password="pw-demo-12345")


@pytest.fixture
def outsider(karoo):
    return User.objects.get(username="karoo.md")


@pytest.fixture
def karoo_admin(karoo):
    admin = User.objects.get(username="karoo.sales")
    grant_role(tenant=karoo, user=admin, role=Role.TENANT_ADMIN, reason="Administers IWMS for the traders")
    return admin


@pytest.fixture
def incident(make_incident, people):
    made = make_incident()
    incident_workflows.start_incident_workflow(incident=made)
    return lifecycle.acknowledge_incident(incident=made, actor=people["responsible"])


def refusals(tenant, actor) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            organisation=tenant, actor=actor, action="access_denied", changes__code="tenant.cross_reference"
        ).order_by("seq")
    )


def test_an_incident_of_another_tenant_is_404_and_refused_in_the_lookers_ledger(
    client, mine, karoo, outsider, incident
):
    client.force_login(outsider)
    response = client.get(reverse("incident_detail", args=[incident.reference]))
    assert response.status_code == 404
    [event] = refusals(karoo, outsider)
    assert (event.object_type, event.object_id) == ("incidents.incident", incident.reference)
    assert event.changes == {"code": "tenant.cross_reference", "kind": "access", "lookup": "reference"}
    # Nothing in the record names the other tenant or its row beyond the key that was typed.
    assert mine.name not in event.message and mine.slug not in str(event.changes)
    assert str(incident.pk) not in str(event.changes)
    assert not AuditEvent.objects.filter(organisation=mine, actor=outsider).exists()


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb"[A-Za-z0-9]{64}", b"", content)


def test_the_404_is_the_same_whether_the_key_names_nothing_or_another_tenants_row(client, outsider, incident):
    client.force_login(outsider)
    foreign = client.get(reverse("incident_detail", args=[incident.reference]))
    nothing = client.get(reverse("incident_detail", args=["INC-9999-999999"]))
    assert foreign.status_code == nothing.status_code == 404
    # The same page but for the CSRF token, which is masked afresh on every page.
    assert without_csrf(foreign.content) == without_csrf(nothing.content)


def test_every_refused_key_is_recorded_alike_so_the_security_page_tells_nothing_of_other_tenants(
    client, mine, karoo, outsider, karoo_admin, incident
):
    """Issue 13: recording only keys that exist in another tenant told the admin they exist
    there. A key naming nothing and a key of another tenant now leave the same record."""
    client.force_login(outsider)
    assert client.get(reverse("incident_detail", args=[incident.reference])).status_code == 404
    assert client.get(reverse("incident_detail", args=["INC-9999-999999"])).status_code == 404
    foreign, nothing = refusals(karoo, outsider)
    assert (foreign.object_id, nothing.object_id) == (incident.reference, "INC-9999-999999")
    assert foreign.changes == nothing.changes and foreign.action == nothing.action
    assert foreign.message.replace(incident.reference, "KEY") == nothing.message.replace("INC-9999-999999", "KEY")
    client.force_login(karoo_admin)
    page = client.get(reverse("security_events")).content.decode()
    assert f"<code>{incident.reference}</code>" in page and "<code>INC-9999-999999</code>" in page
    assert "another tenant" not in page


def test_a_row_of_ones_own_tenant_one_may_not_see_is_recorded_alike(client, mine, people, incident):
    client.force_login(people["mnaidoo"])  # same tenant, not involved in the incident
    assert client.get(reverse("incident_detail", args=[incident.reference])).status_code == 404
    assert client.get(reverse("incident_detail", args=["INC-9999-999999"])).status_code == 404
    assert [event.object_id for event in refusals(mine, people["mnaidoo"])] == [incident.reference, "INC-9999-999999"]


def test_every_kind_of_keyed_lookup_refuses_and_records_another_tenants_key(
    client, mine, karoo, outsider, people, incident, make_incident
):
    second = make_incident(title="A second fall of ground")  # a reference the outsider's tenant has not used
    step = own_steps(incident, people["responsible"])[0]
    photo = add_photo(incident, step, people["responsible"])
    info = work.pause_step(
        incident=incident,
        step=own_steps(incident, people["responsible"])[2],
        actor=people["responsible"],
        responsible=people["supervisor"],
        request="Which crew was working the panel at the time of the fall?",
        due_at=timezone.now() + timedelta(hours=2),
    )
    grant = grants.issue_grant(
        grant=grants.request_grant(
            tenant=mine,
            actor=people["depthead"],
            grantee=people["regulator"],
            purpose="Inspection",
            expires_at=timezone.now() + timedelta(days=3),
            incidents=[incident],
        ),
        actor=people["admin"],
    )
    pack = grants.request_audit_pack(grant=grant, actor=people["regulator"])
    draft = intake.start_draft(reporter=people["reporter"])
    notification = notifications.notify(
        recipient=people["responsible"], event="breach.warning", obj=incident, subject="Due soon", body="", url=""
    )
    # The outsider's own incident, so that the step and evidence lookups inside it are reached.
    own = _karoo_incident(karoo, outsider)
    get = [
        (reverse("incident_detail", args=[second.reference]), "incidents.incident", second.reference),
        (reverse("report_step", args=[draft.token, "kind"]), "incidents.reportdraft", str(draft.token)),
        (reverse("information_request", args=[info.pk]), "workflows.workflowrun", str(info.pk)),
        (reverse("inbox_open", args=[notification.pk]), "iwms.notification", str(notification.pk)),
        (reverse("portal_grant", args=[grant.pk]), "incidents.accessgrant", str(grant.pk)),
        (reverse("portal_pack", args=[pack.pk]), "incidents.auditpack", str(pack.pk)),
        (reverse("evidence_file", args=[own.reference, photo.pk, "file"]), "workflows.evidence", str(photo.pk)),
    ]
    post = [
        (reverse("step_complete", args=[own.reference, step.pk]), "workflows.step", str(step.pk)),
        (reverse("inbox_read"), "iwms.notification", str(notification.pk)),
    ]
    client.force_login(outsider)
    for url, *_ in get:
        assert client.get(url).status_code == 404, url
    for url, *_ in post:
        assert client.post(url, {"notification": notification.pk}).status_code == 404, url
    recorded = [(e.object_type, e.object_id) for e in refusals(karoo, outsider)]
    assert recorded == [(kind, key) for _, kind, key in get + post]
    # A reference both tenants use names the outsider's own incident: no attempt at all.
    assert own.reference == incident.reference
    assert client.get(reverse("incident_detail", args=[incident.reference])).status_code == 200
    assert len(refusals(karoo, outsider)) == len(get + post)


def _karoo_incident(karoo, person):
    from incidents.choices import IncidentKind, RiskLevel, Severity, Source, TimeSensitivity
    from incidents.core.lifecycle import create_incident
    from incidents.models import Category
    from organogram.models import Position

    category = Category.objects.filter(organisation=karoo).order_by("pk").first()
    return create_incident(
        tenant=karoo,
        kind=IncidentKind.INCIDENT,
        source=Source.MANUAL,
        category=category,
        title="Parcel weight differs from the invoice",
        narrative="The parcel weighed at receipt is lighter than the invoice says; the seal was intact.",
        location="Vault",
        severity=Severity.SEV3,
        risk_level=RiskLevel.MEDIUM,
        time_sensitivity=TimeSensitivity.URGENT,
        occurred_at=timezone.now() - timedelta(minutes=5),
        owner=person,
        owner_position=Position.objects.get(organisation=karoo, code="md"),
        responsible=person,
        reporter=person,
    )


# --- the alert ----------------------------------------------------------------------------------


@pytest.fixture
def threshold(settings):
    settings.IWMS_CROSS_TENANT_ALERT_THRESHOLD = 3
    settings.IWMS_CROSS_TENANT_ALERT_WINDOW_MINUTES = 60
    return 3


def alerts() -> list[Notification]:
    return list(Notification.objects.filter(event=ALERT_EVENT).order_by("recipient__username"))


def test_repeated_attempts_alert_the_tenant_admins_of_both_tenants_once(
    client,
    mine,
    karoo,
    outsider,
    karoo_admin,
    people,
    incident,
    threshold,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    client.force_login(outsider)
    url = reverse("incident_detail", args=[incident.reference])
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(threshold - 1):
            client.get(url)
    assert alerts() == []
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    sent = alerts()
    assert [(n.recipient.username, n.organisation_id) for n in sent] == [
        ("admin", mine.pk),
        ("karoo.sales", karoo.pk),
    ]
    own_alert = next(n for n in sent if n.recipient == karoo_admin)
    assert "Willem Steyn" in own_alert.subject and "3 times" in own_alert.subject
    assert "another organisation" not in own_alert.subject + own_alert.body
    assert own_alert.url == f"{reverse('security_events')}?actor={outsider.pk}"
    probed_alert = next(n for n in sent if n.recipient == people["admin"])
    # The probed tenant learns it was probed, not who the outsider is.
    assert "Willem" not in probed_alert.body + probed_alert.subject and "karoo" not in probed_alert.body.lower()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([people["admin"].email, karoo_admin.email])
    assert all(f"?actor={outsider.pk}" in m.body for m in mailoutbox if m.to == [karoo_admin.email])
    # Two more attempts in the same window: nobody is told again.
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
        client.get(url)
    assert len(alerts()) == 2 and len(mailoutbox) == 2
    assert len(refusals(karoo, outsider)) == threshold + 2
    # Each tenant's ledger records that it raised the alert, once.
    assert AuditEvent.objects.filter(organisation=karoo, changes__code=ALERT_CODE, actor=outsider).count() == 1
    probed = AuditEvent.objects.get(organisation=mine, changes__code=ALERT_CODE)
    assert probed.actor_id is None and probed.actor_label == "cross-tenant guard"


def test_the_database_keeps_an_alert_once_per_user_and_window(outsider, karoo, karoo_admin, mine, incident, threshold):
    from arc.cross_tenant import probe_other_tenants
    from incidents.models import Incident

    for _ in range(threshold):
        probe_other_tenants(outsider, Incident, reference=incident.reference)
    first = alerts()
    assert len(first) == 2
    # Asked again directly (as a concurrent request would), the unique key writes nothing new.
    assert raise_alert_if_repeated(user=outsider, probed_tenant_id=mine.pk) == []
    # At the start of the next window the attempts still count (the count slides), and the
    # admins are told again, once.
    next_window = AlertWindow.at(timezone.now()).start + timedelta(minutes=60)
    assert len(raise_alert_if_repeated(user=outsider, probed_tenant_id=mine.pk, at=next_window)) == 2
    assert raise_alert_if_repeated(user=outsider, probed_tenant_id=mine.pk, at=next_window) == []
    assert len(alerts()) == 4
    # A window later still, the old attempts are out of the sliding count: no alert.
    assert raise_alert_if_repeated(user=outsider, probed_tenant_id=mine.pk, at=next_window + timedelta(hours=1)) == []


def test_no_alert_below_the_threshold_or_when_turned_off(outsider, karoo_admin, incident, settings):
    from arc.cross_tenant import probe_other_tenants
    from incidents.models import Incident

    settings.IWMS_CROSS_TENANT_ALERT_THRESHOLD = 0
    for _ in range(8):
        probe_other_tenants(outsider, Incident, reference=incident.reference)
    assert alerts() == []


def test_the_security_page_lists_attempts_for_tenant_admins_only(
    client, karoo, outsider, karoo_admin, incident, threshold, django_assert_max_num_queries
):
    client.force_login(outsider)
    for _ in range(threshold + 2):
        client.get(reverse("incident_detail", args=[incident.reference]))
    assert client.get(reverse("security_events")).status_code == 403
    client.force_login(karoo_admin)
    url = f"{reverse('security_events')}?actor={outsider.pk}"
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(f"<code>{incident.reference}</code>") == threshold + 2
    assert "Alert" in page and "Willem Steyn" in page
