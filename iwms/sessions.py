"""Session limits: an idle timeout, an absolute lifetime, and "sign out everywhere".

A session records when it was signed in, when it was last used and the user's session
generation at sign-in. Every request checks the three; a session past a limit, or begun under
an older generation, is ended and the person is sent to the sign-in page with the reason.
Raising the user's generation (`end_all_sessions`) therefore ends every session of theirs on
every web process at its next request, whatever the session store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.htmx import page_path, redirect_whole_page
from iwms.models import User

logger = logging.getLogger("iwms.sessions")

SIGNED_IN_AT = "iwms_signed_in_at"
LAST_SEEN = "iwms_last_seen"
GENERATION = "iwms_session_generation"
# Requests a page makes on its own (a badge polling for news) carry this header: they are held
# to the limits but are not activity, or an open tab would never go idle.
BACKGROUND_HEADER = "X-IWMS-Background"
# Last use is rewritten at most this often, so a busy page costs one session write a minute,
# not one per request (the idle limit is therefore exact to within this many seconds).
TOUCH_EVERY_SECONDS = 60


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.IWMS_SESSION_IDLE_MINUTES)


def absolute_limit() -> timedelta:
    return timedelta(hours=settings.IWMS_SESSION_MAX_HOURS)


def stamp_signed_in_session(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    """On `user_logged_in`: record when the session began and the user's session generation
    (the key itself has just been rotated by `django.contrib.auth.login`)."""
    now = timezone.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now
    request.session[GENERATION] = user.session_generation


def ended_because(request: HttpRequest, user: User) -> str:
    """Why the signed-in session must end now, or "" if it may go on."""
    session = request.session
    if SIGNED_IN_AT not in session:
        # Every sign-in stamps its session; one without a stamp predates these limits.
        return "Please sign in again."
    now = timezone.now().timestamp()
    if session.get(GENERATION) != user.session_generation:
        return "You were signed out: every session of your account was ended. Please sign in again."
    if now - session[SIGNED_IN_AT] > absolute_limit().total_seconds():
        hours = settings.IWMS_SESSION_MAX_HOURS
        return f"You were signed out: a session lasts at most {hours} hours. Please sign in again."
    if now - session.get(LAST_SEEN, session[SIGNED_IN_AT]) > idle_limit().total_seconds():
        minutes = settings.IWMS_SESSION_IDLE_MINUTES
        return f"You were signed out after {minutes} minutes without activity. Please sign in again."
    return ""


def _touch(request: HttpRequest) -> None:
    now = timezone.now().timestamp()
    if now - request.session.get(LAST_SEEN, 0) >= TOUCH_EVERY_SECONDS:
        request.session[LAST_SEEN] = now


def sign_in_again(request: HttpRequest) -> HttpResponse:
    """To the sign-in page, coming back to the page the person was on."""
    return redirect_whole_page(request, redirect_to_login(page_path(request)).url)


class SessionLimitsMiddleware:
    """Ends sessions past the idle or absolute limit or begun before a 'sign out everywhere'."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = ended_because(request, user)
            if reason:
                logout(request)
                messages.info(request, reason)
                return sign_in_again(request)
            if not request.headers.get(BACKGROUND_HEADER):
                _touch(request)
        return self.get_response(request)


def end_all_sessions(*, user: User, actor: User | None = None) -> User:
    """End every session of `user` (the current one included) by raising their generation.

    Lock order: the user's row, then (through `record_event`) the tenant's chain head. Every
    ledger append takes the chain head and then a KEY SHARE lock on its actor's row (the
    foreign key check); FOR UPDATE here conflicted with that and deadlocked against the
    account's other writes (issue 13). FOR NO KEY UPDATE is all a change of a non-key column
    needs and lets those key checks through."""
    with transaction.atomic():
        locked = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        before = locked.session_generation
        locked.session_generation = before + 1
        locked.save(update_fields=["session_generation", "updated_at"])
        if locked.organisation_id:
            record_event(
                tenant=locked.organisation_id,
                action=AuditAction.LOGIN,
                actor=actor or locked,
                obj=locked,
                message="Signed out everywhere: every session of the account was ended.",
                changes={"session_generation": [before, locked.session_generation]},
            )
        else:
            logger.info("every session of %s ended (no tenant ledger)", locked.get_username())
    user.session_generation = locked.session_generation
    return locked
