"""Liveness of background components, written by a beat-scheduled task and read by /healthz."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a named component (e.g. the Celery worker) proved it was alive."""

    component = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["component"]

    def __str__(self) -> str:
        return f"{self.component} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
