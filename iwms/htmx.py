"""HTMX plumbing shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_vary_headers


class VaryOnHtmxMiddleware:
    """Views answer HTMX requests with fragments and others with full pages from one URL, so
    every response varies on HX-Request: no cache may serve a fragment as a page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        return response


def page_path(request: HttpRequest) -> str:
    """The path (and query) of the page the person is on: for an HTMX request the page that
    sent it (HX-Current-URL), not the fragment's URL. The header is the client's word: one that
    is no URL (`http://[::1`) or names no local path gives the home page."""
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Current-URL"):
        try:
            current = urlsplit(request.headers["HX-Current-URL"])
        except ValueError:
            return "/"
        path = current.path or "/"
        if not path.startswith("/") or path.startswith("//"):
            return "/"
        return path + (f"?{current.query}" if current.query else "")
    return request.get_full_path()


def redirect_whole_page(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect the browser, not a fragment: HTMX requests get HX-Redirect (a plain redirect
    would swap the target page into the fragment's slot)."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)
