"""Which token scope each endpoint needs: reads need `read_scope`, writes `write_scope`
(attributes of the view)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from arc.tokens import has_scope
from iwms.errors import PolicyError


class TokenScopePermission(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user is None or request.auth is None:
            raise PolicyError("token.invalid", "Send an API token: 'Authorization: Bearer iwms_…'.")
        needed = getattr(view, "read_scope" if request.method in SAFE_METHODS else "write_scope", None)
        if needed is None:
            raise PolicyError("access_denied", "This endpoint takes no such request.", tenant=request.user.organisation)
        if not has_scope(request.auth, needed):
            raise PolicyError(
                "access_denied",
                f"This token lacks the scope '{needed}'.",
                tenant=request.user.organisation,
                object_type=request.auth._meta.label_lower,
                object_id=str(request.auth.pk),
                scope=str(needed),
            )
        return True
