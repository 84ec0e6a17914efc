"""Token authentication of the JSON API: `Authorization: Bearer iwms_…` proves an integration
account through `arc.tokens` (hashed, scoped, expiring, revocable tokens)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from arc.tokens import authenticate_token

KEYWORDS = ("bearer", "token")


class ApiTokenAuthentication(BaseAuthentication):
    """No header: anonymous (the permission then refuses with `token.invalid`); a header with
    a bad token: `token.invalid`, audited on the token's tenant when the token row is known."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword.lower() not in KEYWORDS:
            raw = ""
        user, token = authenticate_token(raw.strip())
        user.is_integration = True  # the ledger names it as an integration account
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="iwms"'
