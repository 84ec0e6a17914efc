"""Exactly once under races (PostgreSQL): concurrent triggers with one dedup key make one
incident with every trigger counted; concurrent creates with one Idempotency-Key make one."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from incidents.integrations.models import SourceEvent
from incidents.models import Incident
from tests.conftest import is_postgres

N = 50


def in_parallel(call) -> list:
    answers: list = []
    barrier = threading.Barrier(N)

    def run() -> None:
        try:
            barrier.wait()
            answers.append(call())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_triggers_with_one_key_make_one_incident_and_fifty_occurrences(radam):
    if not is_postgres():
        pytest.skip("row locks across connections: PostgreSQL only")
    _, raw = radam

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client.post("/api/v1/events/", {"dedup_key": "race", "summary": "Seismic burst"}, format="json")

    answers = in_parallel(send)
    assert sorted(a.status_code for a in answers) == [202] * N
    assert Incident.objects.filter(source_reference="radam-shaft-2:race").count() == 1
    incident = Incident.objects.get(source_reference="radam-shaft-2:race")
    numbers = sorted(SourceEvent.objects.filter(incident=incident).values_list("occurrence", flat=True))
    assert numbers == list(range(1, N + 1))


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_creates_with_one_idempotency_key_make_one_incident(radam, settings):
    if not is_postgres():
        pytest.skip("row locks across connections: PostgreSQL only")
    _, raw = radam

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client.post(
            "/api/v1/events/", {"summary": "Perimeter breach"}, format="json", HTTP_IDEMPOTENCY_KEY="once"
        )

    answers = in_parallel(send)
    assert sorted(a.status_code for a in answers) == [202] * N
    assert len({a.json()["incident"] for a in answers}) == 1
    assert Incident.objects.count() == 1 and SourceEvent.objects.count() == 1
