"""What every API request passes through besides authentication: the per-token rate limit
(a fixed window per minute, counted in the database) and idempotent creates
(`Idempotency-Key`, Stripe semantics), and the ETag of reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from arc.models import ApiToken
from incidents.api.models import IdempotencyRecord, RateWindow
from iwms.errors import PolicyError

WINDOW = timedelta(minutes=1)
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def check_rate(token: ApiToken, now: datetime | None = None) -> None:
    """Count this request against the token's window; `api.rate_limited` (429 with
    Retry-After) beyond `IWMS_API_RATE_PER_MINUTE`."""
    limit = settings.IWMS_API_RATE_PER_MINUTE
    if limit <= 0:
        return
    now = now or timezone.now()
    start = now.replace(second=0, microsecond=0)
    windows = RateWindow.objects.filter(token=token, window_start=start)
    if not windows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateWindow.objects.create(token=token, window_start=start, count=1)
        except IntegrityError:  # a concurrent request made the window's row first
            windows.update(count=F("count") + 1)
        RateWindow.objects.filter(token=token, window_start__lt=start - WINDOW).delete()
    count = windows.values_list("count", flat=True).first() or 0
    if count > limit:
        retry_after = max(1, int((start + WINDOW - now).total_seconds()) + 1)
        raise PolicyError(
            "api.rate_limited",
            f"More than {limit} requests a minute with this token; retry after {retry_after} s.",
            tenant=token.organisation,
            object_type=token._meta.label_lower,
            object_id=str(token.pk),
            retry_after=retry_after,
        )


def _digest(request: Request) -> str:
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + request.body).hexdigest()


def idempotent(request: Request, token: ApiToken, create: Callable[[], Response]) -> Response:
    """Run `create` once per `Idempotency-Key` of the token: a repeat with the same body gets
    the first answer again (marked `Idempotent-Replayed: true`); another body gets 409.

    The key's row is written first, in the transaction that creates: a concurrent request with
    the same key waits on it and then replays the committed answer. A refused create stores
    nothing (its transaction rolls back), so it may be retried with the same key."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise PolicyError(
            "validation.invalid",
            f"An {IDEMPOTENCY_HEADER} has at most {MAX_KEY_LENGTH} characters.",
            tenant=token.organisation,
            field=IDEMPOTENCY_HEADER,
        )
    digest = _digest(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    token=token,
                    key=key,
                    method=request.method,
                    path=request.path[:300],
                    request_digest=digest,
                    status_code=0,
                    body={},
                )
        except IntegrityError:
            return _replay(token, key, digest)
        response = create()
        record.status_code, record.body = response.status_code, _plain(response.data)
        record.save(update_fields=["status_code", "body"])
    return response


def _replay(token: ApiToken, key: str, digest: str) -> Response:
    record = IdempotencyRecord.objects.get(token=token, key=key)
    if record.request_digest != digest:
        raise PolicyError(
            "api.idempotency_conflict",
            f"This {IDEMPOTENCY_HEADER} was used with another request; use a new key for a new request.",
            tenant=token.organisation,
            key=key,
        )
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def with_etag(request: Request, response: Response) -> Response:
    """A strong ETag over a successful read's data; `If-None-Match` with it answers 304."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.data is None:
        return response
    body = json.dumps(response.data, cls=DjangoJSONEncoder, sort_keys=True).encode()
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response["ETag"] = tag
    presented = [value.strip() for value in request.headers.get("If-None-Match", "").split(",")]
    if tag in presented or "*" in presented:
        not_modified = Response(status=304)
        not_modified["ETag"] = tag
        return not_modified
    return response
