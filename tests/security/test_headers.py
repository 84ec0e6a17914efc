"""Security headers: the Content-Security-Policy (no inline script or style) on every response,
a view's stricter policy kept, and no template that would need an inline allowance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from iwms.security import ContentSecurityPolicyMiddleware

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/admin/login/", "/no-such-page/", "/healthz"])
def test_every_response_carries_the_policy(client, db, path):
    response = client.get(path)
    policy = response.headers.get("Content-Security-Policy", "")
    if path == "/healthz":  # answered before the middleware stack, JSON only
        return
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_policy_on_the_login_page_is_the_configured_one(client, db):
    response = client.get("/accounts/login/")
    assert response.headers["Content-Security-Policy"] == settings.IWMS_CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_views_own_stricter_policy_is_kept():
    def strict_view(request):
        response = HttpResponse(b"file")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    response = ContentSecurityPolicyMiddleware(strict_view)(RequestFactory().get("/x"))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_an_empty_policy_setting_sends_no_header(settings):
    settings.IWMS_CONTENT_SECURITY_POLICY = ""
    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())(RequestFactory().get("/"))
    assert "Content-Security-Policy" not in response


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
EVAL_HTMX = re.compile(r"hx-on|hx-vals=['\"]js:|hx-vars=", re.IGNORECASE)


def test_templates_have_no_inline_script_style_or_event_handlers():
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for name, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("inline style", INLINE_STYLE),
            ("on* handler", INLINE_HANDLER),
            ("htmx eval", EVAL_HTMX),
        ]:
            if pattern.search(text):
                offenders.append(f"{template.relative_to(TEMPLATES)}: {name}")
    assert offenders == []


def test_the_scanner_catches_what_the_policy_would_block():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert INLINE_STYLE.search('<p style="color:red">')
    assert INLINE_HANDLER.search('<button onclick="go()">')
    assert EVAL_HTMX.search('<div hx-on:click="x()">')


def test_htmx_is_told_not_to_inject_its_indicator_style(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert '"includeIndicatorStyles": false' in page
