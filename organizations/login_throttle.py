"""Brute-force protection for password logins (the login page and the admin), built on django-axes.

Failures are counted per IP address and per account (each on its own, so spreading guesses over many
accounts or many addresses does not help); after AXES_FAILURE_LIMIT failures that address or account is
refused for AXES_COOLOFF_TIME, even with the right password. A successful login clears the count.
"""

from __future__ import annotations

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' check, for logins that come with a request. A login without one (a shell, a management command,
    the test client's `login()`) cannot be an attack over the network, and axes would refuse it outright."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def username_of(request, credentials) -> str:
    """The account as counted: e-mail addresses differ only in case and spaces."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(value).strip().lower()[:254]


def locked_out(request, original_response=None, credentials=None):
    """The login page again, saying why and for how long; 429 like any other rate limit."""
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    minutes = max(1, round(cool_off.total_seconds() / 60))
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
