"""Settings for `make load`: production settings served over plain HTTP on loopback.

Everything production does (DEBUG off, manifest static files, connection reuse, security middleware) except
that cookies are not marked Secure and HTTP is not redirected to HTTPS: the load generator talks to gunicorn
directly on 127.0.0.1, without the TLS proxy production sits behind.
"""

from __future__ import annotations

from collect.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
