"""`manage.py simulate_sources` posts events through the HTTP API of a running server and
incidents appear, duplicates attached to them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.integrations.models import SourceEvent
from incidents.models import Incident


@pytest.mark.django_db(transaction=True)
def test_simulated_events_create_and_attach_through_the_api(live_server, radam):
    source, _ = radam
    out = StringIO()
    call_command(
        "simulate_sources",
        tenant=source.organisation.slug,
        rate=20,
        duration=1,
        url=live_server.url,
        seed=3,
        stdout=out,
    )
    assert "Sent" in out.getvalue() and "created" in out.getvalue()
    assert Incident.objects.filter(source="radam").exists()
    sent = int(out.getvalue().split("Sent ", 1)[1].split(" ", 1)[0])
    assert SourceEvent.objects.filter(source=source).count() == sent >= 1


@pytest.mark.django_db
def test_a_tenant_without_sources_is_told_so(mine):
    with pytest.raises(CommandError, match="no active source"):
        call_command("simulate_sources", tenant=mine.slug, duration=1)
