"""The signed-in home page: who you are, which position you hold, your reporting line."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from arc.roles import roles_of
from organogram.hierarchy import department_head_of, supervisor_of


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    role_set = roles_of(user)
    position = role_set.positions[0] if role_set.positions else None  # substantive first
    context = {
        "role_set": role_set,
        "supervisor": supervisor_of(user, position=position) if position else None,
        "department_head": department_head_of(user, position=position) if position else None,
    }
    return render(request, "incidents/home.html", context)
