"""What the JSON API keeps between requests: the stored answers of idempotent creates and the
per-token request counts of the rate limit (in the database: web processes keep no state)."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The answer to a create sent with an `Idempotency-Key`: a retry with the same key and
    body gets it again; the same key with another body is refused (409)."""

    token = models.ForeignKey("arc.ApiToken", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_one_per_token_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"


class RateWindow(models.Model):
    """Requests one token made in one fixed window (a minute by default)."""

    token = models.ForeignKey("arc.ApiToken", on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-window_start", "token"]
        constraints = [models.UniqueConstraint(fields=["token", "window_start"], name="ratewindow_one_per_window")]

    def __str__(self) -> str:
        return f"{self.token_id} @ {self.window_start:%H:%M}: {self.count}"
