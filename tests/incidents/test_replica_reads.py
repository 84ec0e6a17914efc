"""Read-only pages against a real streaming replica (CI starts one with `.ci/replica` and sets
DATABASE_REPLICA_URL): the managed incident list and its export read there, a person who has
just written reads the primary, and nothing is ever written to the replica."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Incident

pytestmark = [
    pytest.mark.skipif("replica" not in settings.DATABASES, reason="needs DATABASE_REPLICA_URL (.ci/replica)"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]
LIST = reverse("managed_incidents")
CSV = reverse("managed_incidents_csv")


def replicated(reference: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Incident.objects.using("replica").filter(reference=reference).exists():
            return True
        time.sleep(0.05)
    return False


def test_the_replica_is_a_real_standby():
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
        with pytest.raises(Exception, match="read-only transaction"):
            cursor.execute("CREATE TABLE iwms_should_not_exist (id int)")


def test_lists_read_from_the_replica_until_the_person_writes(client, make_incident, people):
    made = make_incident(title="Slab fall on the replica")
    assert replicated(made.reference)
    client.force_login(people["supervisor"])

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        page = client.get(LIST)
        export = b"".join(client.get(CSV).streaming_content)
    assert page.status_code == 200 and made.reference in page.content.decode()
    assert made.reference.encode() in export
    assert any("incidents_incident" in q["sql"] for q in on_replica.captured_queries)

    assert client.post(reverse("inbox_read")).status_code < 400  # a write: pinned to the primary
    with CaptureQueriesContext(connections["replica"]) as pinned:
        assert made.reference in client.get(LIST).content.decode()
    assert pinned.captured_queries == []
