"""IWMS kernel: tenants, users, the audit ledger, policy errors and the transition wrapper."""

from iwms.celery import app as celery_app

__all__ = ["celery_app"]
