"""The read-replica router's rules, with or without a replica configured (iwms/replica.py).
The same views against a real streaming replica: tests/incidents/test_replica_reads.py."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from iwms import replica
from iwms.models import Organisation

router = replica.ReplicaRouter()


@pytest.fixture
def configured(monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)


def seen_by(view_reads: list[str | None]):
    @replica.reads_from_replica
    def view(request):
        view_reads.append(router.db_for_read(Organisation))
        return HttpResponse("ok")

    return view


def test_without_a_replica_every_read_goes_to_the_primary(monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: False)
    reads: list[str | None] = []
    seen_by(reads)(RequestFactory().get("/"))
    with replica.reading_from_replica():
        reads.append(router.db_for_read(Organisation))
    assert reads == [None, None]
    assert router.db_for_write(Organisation) == "default"


@pytest.mark.usefixtures("configured")
def test_marked_views_read_from_the_replica():
    reads: list[str | None] = []
    seen_by(reads)(RequestFactory().get("/"))
    seen_by(reads)(RequestFactory().post("/"))  # a write's own reads stay on the primary
    assert reads == ["replica", None]
    assert router.db_for_read(Organisation) is None  # outside a marked view
    assert router.db_for_write(Organisation) == "default"
    assert router.allow_migrate("replica", "iwms") is False and router.allow_migrate("default", "iwms")


@pytest.mark.usefixtures("configured")
@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary():
    with replica.reading_from_replica(), transaction.atomic():
        assert router.db_for_read(Organisation) is None  # a service's locked read


@pytest.mark.usefixtures("configured")
def test_a_write_pins_the_person_to_the_primary_for_a_while(settings):
    settings.IWMS_REPLICA_PIN_SECONDS = 10
    middleware = replica.ReplicaPinMiddleware(lambda request: HttpResponse("done"))
    response = middleware(RequestFactory().post("/"))
    cookie = response.cookies[replica.PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"]
    assert 9 < float(cookie.value) - time.time() <= 10.01
    assert replica.PIN_COOKIE not in middleware(RequestFactory().get("/")).cookies

    reads: list[str | None] = []
    pinned = RequestFactory().get("/")
    pinned.COOKIES[replica.PIN_COOKIE] = cookie.value
    seen_by(reads)(pinned)
    expired = RequestFactory().get("/")
    expired.COOKIES[replica.PIN_COOKIE] = f"{time.time() - 1:.3f}"
    seen_by(reads)(expired)
    forged = RequestFactory().get("/")
    forged.COOKIES[replica.PIN_COOKIE] = "soon"
    seen_by(reads)(forged)
    assert reads == [None, "replica", "replica"]


@pytest.mark.usefixtures("configured")
def test_an_export_streams_its_rows_from_the_replica():
    from django.http import StreamingHttpResponse

    @replica.reads_from_replica
    def export(request):
        return StreamingHttpResponse(str(router.db_for_read(Organisation)) for _ in range(2))

    response = export(RequestFactory().get("/"))
    assert b"".join(response.streaming_content) == b"replicareplica"
