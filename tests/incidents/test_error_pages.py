"""The 403 and 404 pages are IWMS pages that say why and offer a way back, and an ordinary 403
leaves one warning line in the log, never a traceback (issue 13)."""

from __future__ import annotations

import logging

from django.urls import reverse


def test_an_ordinary_403_is_a_styled_page_and_logs_no_traceback(client, people, caplog):
    client.force_login(people["reporter"])
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("security_events"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "site-header" in body and "You may not do this" in body and 'href="/"' in body
    assert "tenant admins" in body  # why
    assert [record for record in caplog.records if record.exc_info] == []
    assert any(record.levelno == logging.WARNING and "Forbidden" in record.getMessage() for record in caplog.records)


def test_an_htmx_403_lands_in_the_refusal_slot(client, people):
    client.force_login(people["reporter"])
    response = client.get(reverse("security_events"), headers={"HX-Request": "true"})
    assert response.status_code == 403 and response["HX-Retarget"] == "#refusals"
    assert "<html" not in response.content.decode()


def test_a_404_is_a_styled_page_with_a_way_back(client, people):
    client.force_login(people["reporter"])
    response = client.get("/incidents/INC-1999-000001/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "site-header" in body and "Nothing here" in body and "Back to your home page" in body


def test_a_404_for_someone_signed_out_offers_to_sign_in(client, mine):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "Sign in" in response.content.decode()
