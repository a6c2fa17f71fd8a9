"""Two-factor login (TOTP) for members, on django-otp: enrolment, recovery codes, the login gate.

A member with a confirmed device is logged in by their password but not *verified* until they type a
code from their app (or a recovery code); `TwoFactorMiddleware` (organizations/middleware.py) sends every page
of such a session to the verification step. An organization can require a device of its owners: an owner
without one is sent to enrolment before any page of that organization opens. API keys never go through this; a browser
session on the API is accepted only once verified (organizations/api/authentication.py).
"""

from __future__ import annotations

import math
from base64 import b32encode

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.models import MAX_THROTTLE_DELAY_SECONDS
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from organizations.models import Role
from organizations.selectors import organizations_for_user
from organizations.services import log_action

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def two_factor_enabled(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user_has_device(user, confirmed=True)


def two_factor_log(*, user: AbstractBaseUser, code: str, data: dict | None = None) -> None:
    """An account event is recorded in every organization the member works in: their owners see it."""
    for organization in organizations_for_user(user=user):
        log_action(organization=organization, subject=user, code=code, actor=user, data=data or {})


def owner_must_enrol(*, user: AbstractBaseUser) -> bool:
    """True when the user owns an organization that requires two-factor login and has no device yet."""
    owned = organizations_for_user(user=user).filter(
        require_two_factor_for_owners=True, tenant__memberships__user=user, tenant__memberships__role=Role.OWNER
    )
    return owned.exists() and not two_factor_enabled(user)


def totp_device_pending(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed device being set up (a fresh secret the first time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG for the authenticator app to scan."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111", omitsize=False)


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret in groups of four, for typing it in when the camera is not an option."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def two_factor_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending device with a code from the app; returns the new recovery codes, or None."""
    user = request.user
    if not device.verify_token(_clean(token)):
        two_factor_log(user=user, code="account.two_factor_failed", data={"step": "setup"})
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_renew(user=user)
    otp_login(request, device)
    two_factor_log(user=user, code="account.two_factor_enabled")
    return codes


def recovery_codes_renew(*, user: AbstractBaseUser) -> list[str]:
    """Replace the recovery codes; each works once. Only their holder sees them, right now."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def two_factor_wait_seconds(*, user: AbstractBaseUser) -> int:
    """Seconds before django-otp accepts another code (it doubles the wait after each wrong one)."""
    waits = []
    for device in devices_for_user(user):
        allowed, _ = device.verify_is_allowed()
        if allowed:
            return 0
        required = min(
            device.get_throttle_factor() * 2 ** (device.throttling_failure_count - 1), MAX_THROTTLE_DELAY_SECONDS
        )
        elapsed = (timezone.now() - device.throttling_failure_timestamp).total_seconds()
        waits.append(max(1, math.ceil(required - elapsed)))
    return min(waits, default=0)


def two_factor_verify(*, request, token: str, step: str = "login") -> bool:
    """Check a code from the app or a recovery code; a match verifies the session."""
    user = request.user
    device = match_token(user, _clean(token))
    if device is None:
        two_factor_log(user=user, code="account.two_factor_failed", data={"step": step})
        return False
    otp_login(request, device)
    if isinstance(device, StaticDevice):
        remaining = StaticToken.objects.filter(device=device).count()
        two_factor_log(user=user, code="account.recovery_code_used", data={"remaining": remaining})
    return True


@transaction.atomic
def two_factor_disable(*, request, token: str) -> bool:
    """Remove every device, after a valid code: a stolen open session alone cannot switch it off."""
    user = request.user
    if match_token(user, _clean(token)) is None:
        two_factor_log(user=user, code="account.two_factor_failed", data={"step": "disable"})
        return False
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    two_factor_log(user=user, code="account.two_factor_disabled")
    return True


def _clean(token: str) -> str:
    return "".join((token or "").split()).lower()
