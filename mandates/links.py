"""Signing links: /sign/<token>, where the token names one mandate and can only be used to sign it.

token = <public_id as 22 url-safe characters>.<link_version>.<HMAC over both, keyed with SECRET_KEY>.
The public id is random (uuid4), the HMAC needs the SECRET_KEY, so neither guessing nor reading the
database gives a working link; bumping `link_version` revokes every earlier link. Whether a link still
works (expiry, state) is decided by `resolve` against the mandate, not by the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from django.conf import settings
from django.urls import reverse

_SALT = b"collect.mandates.signing-link"
MAX_VERSION_DIGITS = 9  # link_version is a positive integer column; more digits could overflow the lookup


def _mac(public_id: uuid.UUID, version: int) -> str:
    key = hashlib.sha256(_SALT + settings.SECRET_KEY.encode()).digest()
    digest = hmac.new(key, f"{public_id.hex}.{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def token_for(mandate) -> str:
    public = base64.urlsafe_b64encode(mandate.public_id.bytes).decode().rstrip("=")
    return f"{public}.{mandate.link_version}.{_mac(mandate.public_id, mandate.link_version)}"


def parse(token: str) -> tuple[uuid.UUID, int] | None:
    """(public_id, version) when the token is authentic; None for anything forged or malformed (any text)."""
    try:
        public, version_text, mac = token.split(".")
        if not version_text.isascii() or not version_text.isdigit() or len(version_text) > MAX_VERSION_DIGITS:
            return None
        public_id = uuid.UUID(bytes=base64.urlsafe_b64decode(public + "=" * (-len(public) % 4)))
        version = int(version_text)
        # Bytes, not str: compare_digest refuses non-ASCII str with a TypeError.
        authentic = hmac.compare_digest(mac.encode(), _mac(public_id, version).encode())
    except (ValueError, TypeError, UnicodeError):
        return None
    return (public_id, version) if authentic else None


def signing_path(mandate) -> str:
    return reverse("signing:sign", args=[token_for(mandate)])


def signing_url(mandate) -> str:
    return settings.SITE_URL.rstrip("/") + signing_path(mandate)
