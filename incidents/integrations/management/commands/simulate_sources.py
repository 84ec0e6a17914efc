"""`manage.py simulate_sources --tenant SLUG --rate N --duration S`: post realistic RADAM,
RTAC, surveillance and anomaly events (with duplicates) through the HTTP API, as each active
source of the tenant, so auto-created incidents appear. Each run issues each source a token
that expires when the run ends."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from arc.tokens import issue_token
from incidents.integrations.models import Source
from incidents.integrations.services.sources import SOURCE_SCOPES
from iwms.models import Organisation

EVENTS = {
    "radam": [
        ("rockburst", "Seismic event, magnitude {m}", "critical"),
        ("ground_movement", "Ground movement {m} mm", "warning"),
    ],
    "rtac": [("access_violation", "Access card used out of shift at gate {n}", "error")],
    "surveillance_t1": [("motion", "Motion at perimeter camera {n}", "warning")],
    "surveillance_t2": [("tamper", "Camera {n} view obstructed", "error")],
    "surveillance_t3": [("intrusion", "Intrusion confirmed at fence sector {n}", "critical")],
    "ai_anomaly": [("yield_anomaly", "Recovery yield {m}% below forecast", "warning")],
}
GENERIC = [("alert", "Alert {n} from monitoring", "info")]


def _event(source: Source, rng: random.Random, keys: list[str]) -> dict[str, Any]:
    event_type, text, severity = rng.choice(EVENTS.get(source.kind, GENERIC))
    if keys and rng.random() < 0.4:  # a duplicate of an earlier event
        key = rng.choice(keys)
    else:
        key = f"{source.slug}-{event_type}-{rng.randrange(10**6)}"
        keys.append(key)
    return {
        "action": "trigger",
        "dedup_key": key,
        "event_type": event_type,
        "summary": text.format(m=rng.randint(1, 40), n=rng.randint(1, 30)),
        "severity": severity,
        "location": f"{source.unit.name if source.unit else source.name}",
        "payload": {"simulated": True},
    }


class Command(BaseCommand):
    help = "Post simulated detection events through the API for every active source of a tenant."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("--rate", type=float, default=2.0, help="Events per second (all sources together).")
        parser.add_argument("--duration", type=float, default=30.0, help="Seconds to run.")
        parser.add_argument("--url", default=settings.IWMS_BASE_URL, help="The server's base URL.")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Organisation.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant '{options['tenant']}'.")
        sources = list(Source.objects.for_tenant(tenant).filter(is_active=True).select_related("unit", "account"))
        if not sources:
            raise CommandError("The tenant has no active source; a tenant admin registers one under Integrations.")
        if options["rate"] <= 0 or options["duration"] <= 0:
            raise CommandError("--rate and --duration must be positive.")
        expires = timezone.now() + timedelta(seconds=options["duration"] + 60)
        tokens = {
            s.pk: issue_token(user=s.account, name="simulate_sources", scopes=SOURCE_SCOPES, expires_at=expires)[1]
            for s in sources
        }
        rng = random.Random(options["seed"])
        keys: dict[int, list[str]] = {s.pk: [] for s in sources}
        outcomes: Counter[str] = Counter()
        endpoint = options["url"].rstrip("/") + "/api/v1/events/"
        interval, deadline = 1 / options["rate"], time.monotonic() + options["duration"]
        while time.monotonic() < deadline:
            source = rng.choice(sources)
            body = json.dumps(_event(source, rng, keys[source.pk])).encode()
            request = urllib.request.Request(  # noqa: S310 - the operator's own server
                endpoint,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {tokens[source.pk]}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    outcomes[json.loads(answer.read())["outcome"]] += 1
            except urllib.error.HTTPError as exc:
                outcomes[f"HTTP {exc.code}"] += 1
            except (urllib.error.URLError, OSError) as exc:
                raise CommandError(f"Cannot reach {endpoint}: {exc}") from exc
            time.sleep(interval)
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(f"Sent {sum(outcomes.values())} events to {endpoint}: {summary}.")
