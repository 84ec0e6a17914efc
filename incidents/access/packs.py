"""Audit packs: a grant's scope as one zip an auditor can check offline.

Layout: `incidents/<reference>.json` (anchors, steps, evidence metadata, reviews, decisions),
`evidence/<sha256>/<name>` (the files of the kinds the grant shows), `ledger.jsonl` (the
ledger events of those objects, with their chain fields), `chain.json` (the whole chain's
verification when the pack was made) and `manifest.json` (the SHA-256 of every other file).
`verify_pack` checks a pack without the database.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from incidents.access.scope import evidence_visible, incidents_in
from incidents.models import AccessGrant, AuditPack, ClosureDecision, Incident
from iwms.audit import canonical_payload, chain_hash, verify_chain
from iwms.models import AuditEvent
from workflows import evidence_files
from workflows.models import Evidence, Review, Step, WorkflowRun

SUBJECT = "incidents.incident"
FORMAT = "iwms-audit-pack/1"
MANIFEST = "manifest.json"
CHUNK = 200


def pack_root() -> Path:
    configured = getattr(settings, "IWMS_AUDIT_PACK_ROOT", None)
    return Path(configured) if configured else Path(settings.IWMS_EVIDENCE_ROOT).parent / "audit-packs"


def _json(value: Any) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, indent=2, ensure_ascii=False).encode()


def _user(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "username": user.get_username(), "name": user.get_full_name()}


def incident_document(incident: Incident, grant: AccessGrant) -> tuple[dict[str, Any], list[Evidence]]:
    """The incident as the pack records it, and the evidence items the grant shows."""
    runs = list(
        WorkflowRun.objects.filter(
            organisation_id=incident.organisation_id, subject_type=SUBJECT, subject_id=str(incident.pk)
        ).order_by("started_at", "pk")
    )
    steps = list(Step.objects.filter(run__in=runs).select_related("assignee").order_by("run_id", "position"))
    evidence = [
        item
        for item in Evidence.objects.filter(step__in=steps).select_related("collector").order_by("step_id", "id")
        if evidence_visible(grant, item)
    ]
    reviews = Review.objects.filter(run__in=runs).order_by("run_id", "sequence")
    decisions = ClosureDecision.objects.filter(incident=incident).select_related("decider").order_by("created_at")
    document = {
        "id": incident.pk,
        "reference": incident.reference,
        "kind": incident.kind,
        "title": incident.title,
        "narrative": incident.narrative,
        "category": incident.category.code,
        "location": incident.location,
        "severity": incident.severity,
        "risk_level": incident.risk_level,
        "status": incident.status,
        "occurred_at": incident.occurred_at,
        "reported_at": incident.reported_at,
        "closed_at": incident.closed_at,
        "anchors": {
            "source": incident.source,
            "source_reference": incident.source_reference,
            "owner": _user(incident.owner),
            "initial_responsible": _user(incident.initial_responsible),
        },
        "responsible": _user(incident.responsible),
        "steps": [
            {
                "id": s.pk,
                "run": s.run_id,
                "position": s.position,
                "key": s.key,
                "name": s.name,
                "status": s.status,
                "assignee": _user(s.assignee),
                "completed_at": s.completed_at,
                "justification": s.justification,
            }
            for s in steps
        ],
        "evidence": [
            {
                "id": e.pk,
                "step": e.step_id,
                "kind": e.kind,
                "sha256": e.sha256,
                "media_type": e.media_type,
                "size": e.size,
                "original_name": e.original_name,
                "text": e.text,
                "source": e.source,
                "collector": _user(e.collector),
                "collected_at": e.collected_at,
                "relevance": e.relevance,
                "invalidated_at": e.invalidated_at,
                "file": evidence_member(e) if e.storage_name else None,
            }
            for e in evidence
        ],
        "reviews": [
            {
                "run": r.run_id,
                "sequence": r.sequence,
                "engine": r.engine,
                "version": r.version,
                "verdict": r.verdict,
                "findings": r.findings,
                "input_digest": r.input_digest,
                "created_at": r.created_at,
            }
            for r in reviews
        ],
        "decisions": [
            {
                "kind": d.kind,
                "decider": _user(d.decider),
                "impact": d.impact,
                "root_cause": d.root_cause,
                "actions_taken": d.actions_taken,
                "residual_risk": d.residual_risk,
                "preventive_tasks": d.preventive_tasks,
                "justification": d.justification,
                "created_at": d.created_at,
            }
            for d in decisions
        ],
    }
    return document, evidence


def evidence_member(item: Evidence) -> str:
    name = evidence_files.suggested_filename(item.original_name, item.media_type)
    return f"evidence/{item.sha256}/{name}"


def ledger_line(event: AuditEvent) -> dict[str, Any]:
    return {
        "tenant": event.organisation_id,
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "message": event.message,
        "changes": event.changes,
        "request_id": event.request_id,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
    }


def _ledger_slice(tenant_id: int, objects: dict[str, set[str]]) -> Iterator[AuditEvent]:
    condition = Q()
    for object_type, ids in objects.items():
        if ids:
            condition |= Q(object_type=object_type, object_id__in=sorted(ids))
    if not condition:
        return iter(())
    return AuditEvent.objects.filter(organisation_id=tenant_id).filter(condition).order_by("seq").iterator(2000)


def build(pack: AuditPack, progress: Callable[[int], None]) -> tuple[Path, str, int, list[Incident]]:
    """Write the zip of `pack`'s grant scope; returns its path, SHA-256, size and the incidents."""
    grant = pack.grant
    incidents = list(incidents_in(grant).select_related("initial_responsible").order_by("reported_at", "pk"))
    root = pack_root()
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{grant.organisation.slug}-audit-pack-{pack.pk}.zip"
    manifest: dict[str, str] = {}
    objects: dict[str, set[str]] = {
        SUBJECT: set(),
        "workflows.workflowrun": set(),
        "workflows.step": set(),
        "workflows.evidence": set(),
    }

    def add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
        manifest[name] = hashlib.sha256(data).hexdigest()
        archive.writestr(name, data)

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        total = max(len(incidents), 1)
        for index, incident in enumerate(incidents, start=1):
            document, evidence = incident_document(incident, grant)
            add(archive, f"incidents/{incident.reference}.json", _json(document))
            objects[SUBJECT].add(str(incident.pk))
            objects["workflows.workflowrun"].update(str(step["run"]) for step in document["steps"])
            objects["workflows.step"].update(str(step["id"]) for step in document["steps"])
            for item in evidence:
                objects["workflows.evidence"].add(str(item.pk))
                member = evidence_member(item)
                if item.storage_name and member not in manifest:
                    with evidence_files.open_content(item.storage_name) as handle:
                        add(archive, member, handle.read())
            progress(min(90, 90 * index // total))
        lines = [
            json.dumps(ledger_line(e), sort_keys=True, ensure_ascii=False)
            for e in _ledger_slice(grant.organisation_id, objects)
        ]
        add(archive, "ledger.jsonl", ("\n".join(lines) + "\n").encode() if lines else b"")
        report = verify_chain(grant.organisation)
        add(
            archive,
            "chain.json",
            _json(
                {
                    "tenant": grant.organisation.slug,
                    "ok": report.ok,
                    "events": report.events,
                    "broken": str(report.broken) if report.broken else None,
                    "verified_at": timezone.now(),
                }
            ),
        )
        progress(95)
        archive.writestr(
            MANIFEST,
            _json(
                {
                    "format": FORMAT,
                    "tenant": grant.organisation.slug,
                    "grant": grant.pk,
                    "grantee": grant.grantee.get_username(),
                    "purpose": grant.purpose,
                    "created_at": timezone.now(),
                    "incidents": [incident.reference for incident in incidents],
                    "files": manifest,
                }
            ),
        )
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path, digest.hexdigest(), path.stat().st_size, incidents


@dataclass(frozen=True)
class PackVerdict:
    ok: bool
    problem: str
    files: int
    events: int

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.files} files match the manifest; {self.events} ledger events verify."
        return f"FAILED: {self.problem}"


def verify_pack(path: Path | str) -> PackVerdict:
    """Check a pack offline: every manifest hash, no file missing from or added to the
    manifest, and the ledger slice's hashes — each event against its own content, and each
    event's link to the one before it where the slice holds consecutive events."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return PackVerdict(False, f"not a readable zip: {exc}", 0, 0)
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names:
            return PackVerdict(False, "manifest.json is missing", 0, 0)
        try:
            manifest = json.loads(archive.read(MANIFEST))
            files: dict[str, str] = manifest["files"]
        except (ValueError, KeyError, TypeError):
            return PackVerdict(False, "manifest.json is not a pack manifest", 0, 0)
        for name in sorted(names - {MANIFEST}):
            if name not in files:
                return PackVerdict(False, f"{name} is not listed in the manifest", 0, 0)
        for name, expected in sorted(files.items()):
            if name not in names:
                return PackVerdict(False, f"{name} is listed in the manifest but missing", 0, 0)
            actual = hashlib.sha256(archive.read(name)).hexdigest()
            if actual != expected:
                return PackVerdict(False, f"{name}: SHA-256 {actual} differs from the manifest's {expected}", 0, 0)
        events = 0
        previous: dict[str, Any] | None = None
        for number, raw in enumerate(archive.read("ledger.jsonl").decode().splitlines(), start=1):
            if not raw.strip():
                continue
            event = json.loads(raw)
            problem = _event_problem(event, previous)
            if problem:
                return PackVerdict(
                    False, f"ledger.jsonl line {number} (event #{event.get('seq')}): {problem}", len(files), events
                )
            previous = event
            events += 1
    return PackVerdict(True, "", len(files), events)


def _event_problem(event: dict[str, Any], previous: dict[str, Any] | None) -> str:
    try:
        payload = canonical_payload(
            tenant_id=event["tenant"],
            actor_kind=event["actor_kind"],
            actor_id=event["actor_id"],
            actor_label=event["actor_label"],
            action=event["action"],
            object_type=event["object_type"],
            object_id=event["object_id"],
            message=event["message"],
            changes=event["changes"],
            request_id=event["request_id"],
            created_at=datetime.fromisoformat(event["created_at"]),
        )
    except (KeyError, ValueError) as exc:
        return f"malformed event ({exc})"
    if chain_hash(event["prev_hash"], event["seq"], payload) != event["hash"]:
        return "content does not match its hash"
    if previous is not None:
        if event["seq"] <= previous["seq"]:
            return "events are out of order"
        if event["seq"] == previous["seq"] + 1 and event["prev_hash"] != previous["hash"]:
            return "previous hash does not match the event before it"
    return ""
