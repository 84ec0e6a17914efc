"""A URLconf for the kernel's tests: the project's URLs plus views that refuse or audit, so
refusals and request context go through the real middleware stack."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from iwms.audit import record_event
from iwms.errors import PolicyError
from organogram.models import OrgUnit, Position


def create_position(request: HttpRequest) -> JsonResponse:
    """Create a position in the signed-in user's tenant, in the unit named by `unit`."""
    with transaction.atomic():
        position = Position.objects.create(
            organisation=request.user.organisation,
            code=request.POST["code"],
            title="Planner",
            unit=OrgUnit.objects.get(pk=request.POST["unit"]),
        )
    return JsonResponse({"position": position.pk})


def refuse(request: HttpRequest) -> JsonResponse:
    """Refuse with a context that holds a row (which JSON cannot hold as it is)."""
    raise PolicyError(
        "validation.invalid",
        "The organisation is not valid here.",
        tenant=request.user.organisation,
        organisation=request.user.organisation,
    )


def record(request: HttpRequest) -> JsonResponse:
    event = record_event(tenant=request.user.organisation, action="read", message="viewed")
    return JsonResponse({"event": event.pk})


urlpatterns = [
    path("kernel-tests/positions/", create_position),
    path("kernel-tests/refuse/", refuse),
    path("kernel-tests/record/", record),
    path("", include("iwms.urls")),
]
