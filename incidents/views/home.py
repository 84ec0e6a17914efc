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
    context = {
        "role_set": role_set,
        "supervisor": supervisor_of(user) if role_set.positions else None,
        "department_head": department_head_of(user) if role_set.positions else None,
    }
    return render(request, "incidents/home.html", context)
