"""The read-only portal of auditors and regulators: a grant's incidents, their detail and
evidence, the chain's verification status and audit packs. Expiry is checked on every
request; every incident or evidence item shown is written to the ledger as a `read`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from arc.choices import Role
from arc.cross_tenant import not_found
from arc.roles import roles_of
from incidents.access import scope
from incidents.access.services import grants
from incidents.choices import AuditPackStatus
from incidents.core.selectors import timeline_for
from incidents.models import AccessGrant, AuditPack, ClosureDecision
from iwms.audit import verify_chain
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.replica import reads_from_replica
from workflows import evidence_files
from workflows.models import Evidence, Review, WorkflowRun
from workflows.selectors import steps_with_evidence

PAGE_SIZE = 25
WARN_BEFORE = timedelta(days=7)


def _live_grant(request: HttpRequest, grant_id: int) -> AccessGrant:
    """The user's grant, refused (and audited) once it has expired or was revoked."""
    grant = scope.grant_of(request.user, grant_id)
    if not grant.is_live():
        raise PolicyError(
            "grant.expired",
            f"Your grant #{grant.pk} ({grant.purpose}) {'was revoked' if grant.revoked_at else 'expired'} on "
            f"{timezone.localtime(grant.revoked_at or grant.expires_at):%d %b %Y, %H:%M}. Ask the owner of the "
            "incidents for a new grant.",
            tenant=grant.organisation,
            object_type="incidents.accessgrant",
            object_id=str(grant.pk),
            path=request.path,
        )
    return grant


def _grant_context(grant: AccessGrant) -> dict[str, object]:
    remaining = grant.expires_at - timezone.now()
    return {"grant": grant, "expires_soon": remaining <= WARN_BEFORE, "remaining": remaining}


@login_required
@require_GET
@reads_from_replica
def portal_home(request: HttpRequest) -> HttpResponse:
    """The grantee's grants; straight to the only live one. Without a live grant, a page that
    says so and whom to ask (never a bare 404)."""
    all_grants = list(scope.grants_of(request.user))
    if not all_grants and Role.EXTERNAL_PROVIDER in roles_of(request.user):
        return redirect("portal_provider")
    live = [grant for grant in all_grants if grant.is_live()]
    if len(live) == 1 and len(all_grants) == 1:
        return redirect("portal_grant", grant_id=live[0].pk)
    context = {"grants": all_grants, "live": live, "tenant_admins": _tenant_admins(request.user)}
    return render(request, "incidents/portal/home.html", context)


def _tenant_admins(user: User) -> list[User]:
    """Whom to ask about grants: the tenant admins of the user's tenant now."""
    if user.organisation_id is None:
        return []
    now = timezone.now()
    return list(
        User.objects.filter(
            organisation_id=user.organisation_id,
            is_active=True,
            role_grants__role=Role.TENANT_ADMIN,
            role_grants__revoked_at__isnull=True,
            role_grants__starts_at__lte=now,
        )
        .filter(Q(role_grants__expires_at__isnull=True) | Q(role_grants__expires_at__gt=now))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@login_required
@require_GET
@reads_from_replica
def grant_incidents(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = _live_grant(request, grant_id)
    incidents = scope.incidents_in(grant).order_by("-reported_at", "-pk")
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    grants.record_reads(grant=grant, actor=request.user, objects=list(page), what="Listed in the portal")
    packs = AuditPack.objects.filter(grant=grant, requested_by=request.user)[:5]
    return render(
        request, "incidents/portal/incident_list.html", {**_grant_context(grant), "page": page, "packs": packs}
    )


@login_required
@require_GET
@reads_from_replica
def grant_chain(request: HttpRequest, grant_id: int) -> HttpResponse:
    """The tenant's audit chain, verified now (loaded after the list, as it walks the chain)."""
    grant = _live_grant(request, grant_id)
    report = verify_chain(grant.organisation)
    return render(request, "incidents/portal/partials/chain.html", {"report": report, "checked_at": timezone.now()})


@login_required
@require_GET
@reads_from_replica
def grant_incident(request: HttpRequest, grant_id: int, reference: str) -> HttpResponse:
    grant = _live_grant(request, grant_id)
    incident = scope.incident_in(grant, reference)
    runs = WorkflowRun.objects.filter(
        organisation_id=incident.organisation_id, subject_type="incidents.incident", subject_id=str(incident.pk)
    ).order_by("started_at", "pk")
    steps = [step for run in runs if run.parent_step_id is None for step in steps_with_evidence(run)]
    visible: list[Evidence] = []
    for step in steps:
        step.visible_evidence = [item for item in step.evidence.all() if scope.evidence_visible(grant, item)]
        visible += step.visible_evidence
    grants.record_reads(grant=grant, actor=request.user, objects=[incident], what="Opened in the portal")
    context = {
        **_grant_context(grant),
        "incident": incident,
        "steps": steps,
        "reviews": Review.objects.filter(run__in=runs).order_by("run_id", "sequence"),
        "decisions": ClosureDecision.objects.filter(incident=incident).select_related("decider").order_by("created_at"),
        "timeline": timeline_for(incident).exclude(action=AuditAction.READ),
        "hidden_kinds": bool(grant.evidence_kinds),
    }
    return render(request, "incidents/portal/incident_detail.html", context)


@login_required
@require_GET
def grant_evidence(request: HttpRequest, grant_id: int, reference: str, evidence_id: int) -> HttpResponse:
    grant = _live_grant(request, grant_id)
    incident = scope.incident_in(grant, reference)
    item = (
        Evidence.objects.filter(
            pk=evidence_id,
            organisation_id=incident.organisation_id,
            step__run__subject_type="incidents.incident",
            step__run__subject_id=str(incident.pk),
        )
        .exclude(storage_name="")
        .first()
    )
    if item is None or not scope.evidence_visible(grant, item):
        raise not_found(request.user, Evidence, "No such evidence.", pk=evidence_id)
    grants.record_reads(grant=grant, actor=request.user, objects=[item], what="Downloaded in the portal")
    return attachment(
        evidence_files.open_content(item.storage_name),
        evidence_files.suggested_filename(item.original_name, item.media_type),
        item.media_type or "application/octet-stream",
    )


def attachment(handle: object, filename: str, content_type: str) -> FileResponse:
    """A download that is never rendered by the browser."""
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- audit packs ------------------------------------------------------------------------------


@login_required
@require_POST
def pack_create(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = _live_grant(request, grant_id)
    pack = grants.request_audit_pack(grant=grant, actor=request.user)
    if request.htmx:
        return render(request, "incidents/portal/partials/pack.html", {"pack": pack})
    return redirect("portal_pack", pack_id=pack.pk)


def _pack_of(request: HttpRequest, pack_id: int) -> AuditPack:
    if not request.user.is_authenticated or request.user.organisation_id is None:
        raise Http404("No such pack.")
    pack = (
        AuditPack.objects.for_tenant(request.user.organisation_id)
        .filter(pk=pack_id, requested_by=request.user)
        .select_related("grant")
        .first()
    )
    if pack is None:
        raise not_found(request.user, AuditPack, "No such pack.", pk=pack_id)
    _live_grant(request, pack.grant_id)
    return pack


@login_required
@require_GET
def pack_status(request: HttpRequest, pack_id: int) -> HttpResponse:
    """The pack's progress: the fragment the progress bar polls, or the page around it."""
    pack = _pack_of(request, pack_id)
    if request.htmx:
        return render(request, "incidents/portal/partials/pack.html", {"pack": pack})
    return render(request, "incidents/portal/pack_detail.html", {**_grant_context(pack.grant), "pack": pack})


@login_required
@require_GET
def pack_download(request: HttpRequest, pack_id: int) -> HttpResponse:
    pack = _pack_of(request, pack_id)
    if pack.status != AuditPackStatus.READY:
        raise Http404("The pack is not ready.")
    return attachment(open(pack.file_path, "rb"), f"audit-pack-{pack.pk}.zip", "application/zip")
