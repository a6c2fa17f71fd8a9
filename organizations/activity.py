"""Human labels for activity codes. Apps add theirs with `register_activity_labels` in AppConfig.ready."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

ACTIVITY_LABELS: dict[str, Any] = {
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
    "organization.updated": _("Organization details changed"),
    "organization.sender_verification_sent": _("Sender address verification link sent"),
    "organization.sender_verified": _("Sender address verified"),
    "organization.sender_verification_reset": _("Sender address changed; verification cleared"),
    "account.two_factor_enabled": _("Two-factor login switched on"),
    "account.two_factor_disabled": _("Two-factor login switched off"),
    "account.two_factor_failed": _("Wrong two-factor code"),
    "account.recovery_code_used": _("Recovery code used to log in"),
}


def register_activity_labels(labels: dict[str, Any]) -> None:
    ACTIVITY_LABELS.update(labels)


def describe(code: str) -> str:
    return str(ACTIVITY_LABELS.get(code, code))


def summarize(data: dict[str, Any]) -> str:
    """A short, readable line from an entry's data: changed fields first, then notable values."""
    if not data:
        return ""
    if "changes" in data:
        return "; ".join(f"{field}: {old or '–'} → {new or '–'}" for field, (old, new) in data["changes"].items())
    shown = {k: v for k, v in data.items() if v not in ("", None, [], {})}
    return ", ".join(f"{key}: {value}" for key, value in shown.items())
