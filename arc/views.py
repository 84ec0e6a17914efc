"""The signed-in person's own account: roles, session limits and 'sign out everywhere'."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from arc.roles import roles_of
from iwms.sessions import SIGNED_IN_AT, end_all_sessions


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    signed_in_at = request.session.get(SIGNED_IN_AT)
    context = {
        "role_set": roles_of(request.user),
        "signed_in_at": datetime.fromtimestamp(signed_in_at, tz=timezone.get_current_timezone())
        if signed_in_at
        else None,
        "idle_minutes": settings.IWMS_SESSION_IDLE_MINUTES,
        "max_hours": settings.IWMS_SESSION_MAX_HOURS,
    }
    return render(request, "arc/account.html", context)


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    end_all_sessions(user=request.user, actor=request.user)
    logout(request)
    messages.success(request, "Every session of your account has been ended, this one included.")
    return redirect("login")
