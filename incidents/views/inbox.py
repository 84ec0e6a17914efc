"""The in-app inbox: a person's notifications, marking them read, and the header's unread
count that HTMX refreshes every minute (and whenever a page says the inbox changed)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from arc.cross_tenant import not_found
from incidents.core.navigation import INBOX_CHANGED
from iwms import notifications
from iwms.models import Notification

PAGE_SIZE = 25


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    items = notifications.notifications_for(request.user).select_related("recipient")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/notification_list.html",
        {"page": page, "unread": notifications.unread_count(request.user)},
    )


@require_GET
def inbox_badge(request: HttpRequest) -> HttpResponse:
    """The header's inbox link. Polling from a page whose session has ended gets nothing to swap."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204) if request.htmx else redirect("login")
    response = render(
        request, "incidents/partials/inbox_badge.html", {"unread": notifications.unread_count(request.user)}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`notification` in the form) or all of them read."""
    raw = request.POST.get("notification", "")
    if raw and not raw.isdigit():
        raise Http404("No such notification.")
    ids = [int(raw)] if raw else None
    if ids and not notifications.notifications_for(request.user).filter(pk=ids[0]).exists():
        raise not_found(request.user, Notification, "No such notification.", pk=ids[0])
    notifications.mark_read(user=request.user, notification_ids=ids)
    if request.htmx and ids:
        item = notifications.notifications_for(request.user).get(pk=ids[0])
        response = render(request, "incidents/partials/notification_row.html", {"item": item})
        response["HX-Trigger"] = INBOX_CHANGED
        return response
    return redirect("inbox")


@login_required
@require_GET
def inbox_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    item = notifications.notifications_for(request.user).filter(pk=notification_id).first()
    if item is None:
        raise not_found(request.user, Notification, "No such notification.", pk=notification_id)
    notifications.mark_read(user=request.user, notification_ids=[item.pk])
    safe = url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()})
    return redirect(item.url if item.url and safe else "inbox")
