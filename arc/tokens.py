"""API tokens of integration accounts: issue (the plain token is returned once), revoke, and
authenticate a presented token.

A token reads `iwms_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole
token is compared in constant time with the stored hash. Nothing that could rebuild a token is
stored. Refusals raise `token.invalid`; once a token's row is known the refusal names its
tenant, so the boundary that catches it (the API's error handler) audits it there.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from arc.choices import Role, TokenScope
from arc.models import ApiToken
from arc.roles import roles_of
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User

TOKEN_PATTERN = re.compile(r"^iwms_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")
# last_used_at is rewritten at most this often, so a busy integration costs no write per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_token_holder(user: User) -> None:
    """Tokens go only to active integration accounts of a tenant."""
    if not user.is_active or user.organisation_id is None or Role.INTEGRATION not in roles_of(user).roles:
        raise PolicyError(
            "validation.invalid",
            "API tokens are issued only to active integration accounts (a live 'integration account' role grant).",
            tenant=user.organisation,
            field="user",
            object_type=user._meta.label_lower,
            object_id=str(user.pk),
        )


def _check_issuer(actor: User | None, holder: User) -> None:
    if actor is None or actor.is_superuser:
        return
    roles = roles_of(actor).roles
    if actor.organisation_id != holder.organisation_id or Role.TENANT_ADMIN not in roles:
        raise PolicyError(
            "access_denied",
            "Only a tenant admin of the account's tenant or a platform admin issues API tokens.",
            tenant=holder.organisation,
            object_type=holder._meta.label_lower,
            object_id=str(holder.pk),
        )


def _clean_scopes(scopes: Iterable[str], tenant: Any) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in TokenScope.values]
    if not chosen or unknown:
        raise PolicyError(
            "validation.invalid",
            f"Choose at least one scope from: {', '.join(TokenScope.values)}"
            + (f" (unknown: {', '.join(unknown)})." if unknown else "."),
            tenant=tenant,
            field="scopes",
        )
    return chosen


def issue_token(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token to the integration account `user`; returns the row and the plain token,
    which is not stored anywhere and cannot be shown again."""
    check_token_holder(user)
    _check_issuer(actor, user)
    chosen = _clean_scopes(scopes, user.organisation)
    if not name.strip():
        raise PolicyError(
            "validation.invalid", "Name the token after what uses it.", tenant=user.organisation, field="name"
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise PolicyError(
            "validation.invalid", "The expiry must be in the future.", tenant=user.organisation, field="expires_at"
        )
    prefix = secrets.token_hex(6)
    raw = f"iwms_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken(
            organisation_id=user.organisation_id,
            user=user,
            name=name.strip(),
            scopes=chosen,
            prefix=prefix,
            token_hash=token_digest(raw),
            issued_by=actor,
            expires_at=expires_at,
        )
        token.save()
        record_event(
            tenant=user.organisation_id,
            action=AuditAction.CREATE,
            actor=actor,
            obj=token,
            message=f"API token '{token.name}' issued to {user.get_username()}.",
            changes={
                "user": user.pk,
                "scopes": chosen,
                "prefix": prefix,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return token, raw


def revoke_token(*, token: ApiToken, actor: User | None = None, reason: str = "") -> ApiToken:
    """Revoke the token from now on (idempotent: a revoked token stays as it was)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at", "updated_at"])
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.UPDATE,
                actor=actor,
                obj=locked,
                message=f"API token '{locked.name}' revoked." + (f" {reason}" if reason else ""),
                changes={"revoked_at": [None, locked.revoked_at.isoformat()]},
            )
    return locked


def _refused(token: ApiToken | None = None, reason: str = "") -> PolicyError:
    message = "The API token is not valid."
    if token is None:
        return PolicyError("token.invalid", message)
    return PolicyError(
        "token.invalid",
        message,
        tenant=token.organisation,
        object_type=token._meta.label_lower,
        object_id=str(token.pk),
        reason=reason,
    )


def authenticate_token(raw: str) -> tuple[User, ApiToken]:
    """The integration account and token that `raw` proves, or PolicyError("token.invalid")."""
    match = TOKEN_PATTERN.match(raw.strip() if raw else "")
    if match is None:
        raise _refused()
    token = ApiToken.objects.select_related("user", "organisation").filter(prefix=match.group("prefix")).first()
    if token is None:
        # Spend the same work as a real comparison, so timing does not say which prefixes exist.
        hmac.compare_digest(token_digest(raw), "0" * 64)
        raise _refused()
    if not hmac.compare_digest(token_digest(raw.strip()), token.token_hash):
        raise _refused(token, "secret does not match")
    now = timezone.now()
    if token.revoked_at is not None:
        raise _refused(token, "revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise _refused(token, "expired")
    user = token.user
    if (
        not user.is_active
        or user.organisation_id != token.organisation_id
        or Role.INTEGRATION not in roles_of(user).roles
    ):
        raise _refused(token, "the account is no longer an active integration account")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return user, token


def has_scope(token: ApiToken, scope: str) -> bool:
    return scope in token.scopes
