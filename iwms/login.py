"""Signing in: Django's login view (the session key rotates and the session is stamped for the
session limits by `iwms.sessions.stamp_signed_in_session`)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
