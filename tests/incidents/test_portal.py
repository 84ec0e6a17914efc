"""The scoped portal: grants (request, issue, revoke), what a grantee sees and never sees,
expiry on every request, reads in the ledger, audit packs verified offline, and external
providers working on their own steps only."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incidents.access.packs import verify_pack
from incidents.access.services import grants
from incidents.choices import AuditPackStatus
from incidents.core import lifecycle
from incidents.core.services import incident_workflows
from incidents.models import AccessGrant, AuditPack, IncidentUserObjectPermission
from incidents.work.services import execution as work
from iwms.audit import verify_chain
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from tests.incidents.test_work import add_photo, own_steps, png


@pytest.fixture
def started(make_incident, people):
    """Three incidents owned by the mining manager, workflows started and acknowledged."""
    made = []
    for n in range(3):
        incident = make_incident(title=f"Fall of ground number {n}")
        incident_workflows.start_incident_workflow(incident=incident)
        made.append(lifecycle.acknowledge_incident(incident=incident, actor=people["responsible"]))
    return made


def request_for(mine, people, incidents, **extra):
    fields = dict(
        tenant=mine,
        actor=people["depthead"],
        grantee=people["regulator"],
        purpose="Inspection of fall-of-ground incidents",
        expires_at=timezone.now() + timedelta(days=30),
        incidents=incidents,
    )
    fields.update(extra)
    return grants.request_grant(**fields)


@pytest.fixture
def grant(mine, people, started):
    return grants.issue_grant(grant=request_for(mine, people, started[:2]), actor=people["admin"])


def grant_url(grant) -> str:
    return reverse("portal_grant", args=[grant.pk])


# --- grants ---------------------------------------------------------------------------------


def test_only_the_owner_requests_and_only_a_tenant_admin_issues(mine, people, started):
    with pytest.raises(PolicyError) as refused:
        request_for(mine, people, started[:1], actor=people["responsible"])
    assert refused.value.code == "grant.not_owner"
    with pytest.raises(PolicyError) as refused:
        request_for(mine, people, started[:1], grantee=people["reporter"])
    assert refused.value.code == "grant.grantee_not_external"
    requested = request_for(mine, people, started[:1])
    with pytest.raises(PolicyError) as refused:
        grants.issue_grant(grant=requested, actor=people["depthead"])
    assert refused.value.code == "access_denied"
    assert AuditEvent.objects.filter(action="access_denied", object_id=str(requested.pk)).exists()
    issued = grants.issue_grant(grant=requested, actor=people["admin"])
    assert issued.is_live() and issued.issued_by == people["admin"]


def test_issuing_writes_guardian_rows_in_the_direct_table_and_revoking_removes_them(mine, people, started, grant):
    rows = IncidentUserObjectPermission.objects.filter(user=people["regulator"])
    assert sorted(rows.values_list("content_object_id", flat=True)) == sorted(i.pk for i in started[:2])
    assert people["regulator"].has_perm("incidents.view_incident", started[0])
    assert not people["regulator"].has_perm("incidents.view_incident", started[2])
    grants.revoke_grant(grant=grant, actor=people["admin"], reason="Inspection finished")
    assert not rows.exists()
    actions = list(AuditEvent.objects.filter(object_type="incidents.accessgrant").values_list("action", flat=True))
    assert actions == ["create", "update", "update"]


def test_a_subtree_grant_covers_descendant_categories_within_the_date_range(mine, people, started, fall_of_ground):
    geo = fall_of_ground.parent
    requested = request_for(
        mine,
        people,
        (),
        category=geo,
        reported_from=timezone.now() - timedelta(hours=1),
        reported_until=timezone.now() + timedelta(hours=1),
    )
    issued = grants.issue_grant(grant=requested, actor=people["admin"])
    from incidents.access.scope import incidents_in

    assert set(incidents_in(issued)) == set(started)
    issued.reported_until = timezone.now() - timedelta(minutes=30)
    issued.reported_from = timezone.now() - timedelta(hours=2)
    assert list(incidents_in(issued)) == []


# --- the portal -----------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, grant):
    response = client.get(grant_url(grant))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_grantee_sees_exactly_the_granted_incidents_and_each_read_is_audited(client, people, started, grant):
    client.force_login(people["regulator"])
    response = client.get(grant_url(grant))
    assert response.status_code == 200
    body = response.content.decode()
    assert started[0].reference in body and started[1].reference in body
    assert started[2].reference not in body and "2 incidents in scope" in body
    reads = AuditEvent.objects.filter(action="read", actor=people["regulator"])
    assert sorted(int(e.object_id) for e in reads) == sorted(i.pk for i in started[:2])
    assert all(e.changes == {"grant": grant.pk} for e in reads)


def test_incident_outside_the_grant_and_other_peoples_grants_are_404(client, people, started, grant):
    client.force_login(people["regulator"])
    assert client.get(reverse("portal_incident", args=[grant.pk, started[2].reference])).status_code == 404
    client.force_login(people["auditor"])
    assert client.get(grant_url(grant)).status_code == 404
    no_grant = client.get(reverse("portal"))
    assert no_grant.status_code == 200 and b"You have no grant yet" in no_grant.content
    client.force_login(people["reporter"])
    assert client.get(reverse("portal_incident", args=[grant.pk, started[0].reference])).status_code == 404


def test_other_tenant_gets_404(client, grant):
    from incidents.demo.builder import build_second_tenant
    from iwms.models import User

    build_second_tenant(password="pw-demo-12345")
    client.force_login(User.objects.get(username="karoo.md"))
    assert client.get(grant_url(grant)).status_code == 404


def test_list_query_count_is_flat_in_rows(client, mine, people, make_incident, django_assert_max_num_queries):
    few = [make_incident(title=f"few {n}") for n in range(2)]
    many = [make_incident(title=f"many {n}") for n in range(12)]
    small = grants.issue_grant(grant=request_for(mine, people, few), actor=people["admin"])
    large = grants.issue_grant(grant=request_for(mine, people, many), actor=people["admin"])
    client.force_login(people["regulator"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small_page:
        client.get(grant_url(small))
    with CaptureQueriesContext(connection) as large_page:
        assert client.get(grant_url(large)).status_code == 200
    assert len(large_page) == len(small_page)


def test_detail_shows_anchors_timeline_and_only_allowed_evidence_kinds(client, mine, people, started):
    step = own_steps(started[0], people["responsible"])[0]
    photo = add_photo(started[0], step, people["responsible"])
    narrative = work.add_step_evidence(
        incident=started[0],
        step=step,
        actor=people["responsible"],
        kind="narrative",
        source="upload",
        collected_at=timezone.now(),
        relevance="What the shift boss saw on arrival",
        text="The slab lay across the drive.",
    )
    only_photos = grants.issue_grant(
        grant=request_for(mine, people, started[:1], evidence_kinds=["photo"]), actor=people["admin"]
    )
    client.force_login(people["regulator"])
    body = client.get(reverse("portal_incident", args=[only_photos.pk, started[0].reference])).content.decode()
    assert "Initial responsible person" in body and "Timeline" in body
    assert photo.relevance in body and narrative.relevance not in body
    download = client.get(reverse("portal_evidence", args=[only_photos.pk, started[0].reference, photo.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="read", object_type="workflows.evidence", object_id=str(photo.pk)).exists()


def test_expired_grant_is_refused_with_a_clear_page_and_audited(client, people, started, grant):
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(people["regulator"])
    response = client.get(reverse("portal_incident", args=[grant.pk, started[0].reference]))
    assert response.status_code == 403
    assert "expired" in response.content.decode() and "grant.expired" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="access_denied", object_type="incidents.accessgrant", object_id=str(grant.pk), actor=people["regulator"]
    ).exists()


def test_warning_banner_in_the_last_seven_days(client, people, grant):
    client.force_login(people["regulator"])
    assert 'data-testid="expiry-warning"' not in client.get(grant_url(grant)).content.decode()
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(days=3))
    assert 'data-testid="expiry-warning"' in client.get(grant_url(grant)).content.decode()


def test_chain_status_fragment(client, people, grant):
    client.force_login(people["regulator"])
    response = client.get(reverse("portal_chain", args=[grant.pk]), HTTP_HX_REQUEST="true")
    assert "Verified" in response.content.decode() and "<html" not in response.content.decode()


# --- audit packs ----------------------------------------------------------------------------


def export(client, grant, django_capture_on_commit_callbacks) -> AuditPack:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_pack_create", args=[grant.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<progress" in response.content.decode()
    return AuditPack.objects.get(grant=grant)


def test_audit_pack_is_generated_downloaded_and_verifies(
    client, people, started, grant, tmp_path, django_capture_on_commit_callbacks
):
    add_photo(started[0], own_steps(started[0], people["responsible"])[0], people["responsible"])
    client.force_login(people["regulator"])
    pack = export(client, grant, django_capture_on_commit_callbacks)
    assert pack.status == AuditPackStatus.READY and pack.percent == 100
    status = client.get(reverse("portal_pack", args=[pack.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Download the pack" in status and "every 2s" not in status
    response = client.get(reverse("portal_pack_download", args=[pack.pk]))
    assert response["Content-Disposition"].startswith("attachment") and response["X-Content-Type-Options"] == "nosniff"
    path = tmp_path / "pack.zip"
    path.write_bytes(b"".join(response.streaming_content))
    verdict = verify_pack(path)
    assert verdict.ok, verdict.problem
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert sorted(manifest["incidents"]) == sorted(i.reference for i in started[:2])
        assert any(name.startswith("evidence/") for name in manifest["files"])
        assert json.loads(archive.read("chain.json"))["ok"] is verify_chain(started[0].organisation).ok
    call_command("verify_pack", str(path))


def tampered(source: Path, target: Path, member_prefix: str, change) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            copy.writestr(info, change(data) if info.filename.startswith(member_prefix) else data)
    return target


def test_verify_pack_fails_on_a_tampered_file_or_ledger_event(
    client, people, started, grant, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(people["regulator"])
    pack = export(client, grant, django_capture_on_commit_callbacks)
    source = Path(pack.file_path)
    bad_file = tampered(source, tmp_path / "a.zip", "incidents/", lambda data: data.replace(b"Fall", b"Fell"))
    verdict = verify_pack(bad_file)
    assert not verdict.ok and "SHA-256" in verdict.problem
    with pytest.raises(SystemExit) as exited:
        call_command("verify_pack", str(bad_file))
    assert exited.value.code == 1

    def forge_event(data: bytes) -> bytes:
        lines = data.decode().splitlines()
        event = json.loads(lines[0])
        event["message"] = "nothing happened"
        lines[0] = json.dumps(event, sort_keys=True)
        return ("\n".join(lines) + "\n").encode()

    # Rewrite the ledger and its manifest entry, as a forger would: the event's own hash catches it.
    forged = tampered(source, tmp_path / "b.zip", "ledger.jsonl", forge_event)
    with zipfile.ZipFile(forged) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    import hashlib

    manifest["files"]["ledger.jsonl"] = hashlib.sha256(members["ledger.jsonl"]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    rebuilt = tmp_path / "c.zip"
    with zipfile.ZipFile(rebuilt, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    verdict = verify_pack(rebuilt)
    assert not verdict.ok and "content does not match its hash" in verdict.problem


def test_pack_download_refused_after_expiry(client, people, grant, django_capture_on_commit_callbacks):
    client.force_login(people["regulator"])
    pack = export(client, grant, django_capture_on_commit_callbacks)
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("portal_pack_download", args=[pack.pk])).status_code == 403


# --- external providers ---------------------------------------------------------------------


@pytest.fixture
def provider_step(people, started):
    from workflows.models import Step

    step = own_steps(started[0], people["responsible"])[1]
    Step.objects.filter(pk=step.pk).update(assignee=people["provider"])
    return Step.objects.select_related("run").get(pk=step.pk)


def test_provider_lists_only_assigned_steps_and_submits_a_photo(client, people, started, provider_step):
    client.force_login(people["provider"])
    body = client.get(reverse("portal_provider")).content.decode()
    assert provider_step.name in body and started[0].location in body
    assert started[0].narrative not in body and started[1].reference not in body
    response = client.post(
        reverse("portal_provider_step", args=[provider_step.pk]),
        {
            "evidence-kind": "photo",
            "evidence-files": [png("blue")],
            "evidence-relevance": "Rock bolts installed on the hanging wall",
            "evidence-collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "evidence-location": "Shaft 2, level 8",
        },
    )
    assert response.status_code == 302
    item = provider_step.evidence.get()
    assert item.source == "external_provider" and item.submitted_by == people["provider"]
    assert client.get(reverse("portal_provider_evidence", args=[item.pk])).status_code == 200


def test_provider_cannot_open_other_evidence_nor_the_incident(client, people, started, provider_step):
    other = add_photo(started[0], own_steps(started[0], people["responsible"])[0], people["responsible"])
    client.force_login(people["provider"])
    assert client.get(reverse("portal_provider_evidence", args=[other.pk])).status_code == 404
    assert client.get(reverse("evidence_file", args=[started[0].reference, other.pk, "download"])).status_code == 404
    assert client.get(reverse("incident_detail", args=[started[0].reference])).status_code == 404
    assert (
        client.get(
            reverse("portal_provider_step", args=[own_steps(started[0], people["responsible"])[0].pk])
        ).status_code
        == 404
    )
