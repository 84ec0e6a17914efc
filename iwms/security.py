"""The Content-Security-Policy header on every response (Django 5.2 has none built in).

Pages load scripts and styles only from this origin: no inline `<script>`, no `style=`
attributes, no `on*=` handlers. A view that needs a stricter policy (evidence downloads) sets
its own header, which is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.IWMS_CONTENT_SECURITY_POLICY
        if policy and CSP_HEADER not in response.headers:
            response.headers[CSP_HEADER] = policy
        return response
