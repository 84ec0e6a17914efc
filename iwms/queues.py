"""Celery queues per kind of work, so a flood of one kind never delays another: a burst of
webhook deliveries or e-mails waits in its own queue while the SLA sweep runs on time.

A worker started without `-Q` consumes every queue (the embedded runner and the tests do);
in production, give the sweep a worker of its own and the rest as many as their load needs:

    celery -A iwms worker -Q sweep --concurrency=1
    celery -A iwms worker -Q notifications,webhooks
    celery -A iwms worker -Q reviews,packs,rollups,default

Tasks are routed by name (`ROUTES`, glob patterns); a task no pattern names goes to
`default`. The names are the tasks' registered names, which are stable across code moves.
"""

from __future__ import annotations

from kombu import Queue

DEFAULT = "default"

# queue -> what it carries
QUEUES = {
    "sweep": "the SLA sweep: warnings, breaches and escalations, every minute",
    "notifications": "notification e-mails and digests",
    "reviews": "the automated review of each Complete",
    "webhooks": "outbound webhook deliveries and their retries",
    "packs": "audit packs built for the portal",
    "rollups": "KPI rollups and other reporting batches",
    DEFAULT: "heartbeats, ledger checkpoints and anything not routed elsewhere",
}

ROUTES = {
    "incidents.tasks.sweep_sla_clocks": {"queue": "sweep"},
    "iwms.tasks.send_notification_*": {"queue": "notifications"},
    "incidents.tasks.review_submission": {"queue": "reviews"},
    "*webhook*": {"queue": "webhooks"},
    "incidents.portal.build_audit_pack": {"queue": "packs"},
    "*rollup*": {"queue": "rollups"},
}


def task_queues() -> tuple[Queue, ...]:
    return tuple(Queue(name, routing_key=name) for name in QUEUES)
