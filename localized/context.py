"""The organization's country and time zone for what is being rendered now (a request or a background job).

Django already keeps the active language (translation) and time zone (timezone); this adds the country, so an
amount reads `€ 1.234,56` to a Dutch reader of a Belgian organization and a date as that country writes it.
The organization middleware activates it for every page under /o/<slug>/; jobs use `override(...)`.
"""

from __future__ import annotations

import contextlib
import contextvars
import zoneinfo

from django.utils import timezone, translation

_country: contextvars.ContextVar[str | None] = contextvars.ContextVar("localized_country", default=None)


def current_country() -> str | None:
    return _country.get()


def activate(*, country: str | None, time_zone: str | None = None) -> None:
    _country.set((country or "").upper() or None)
    if time_zone:
        timezone.activate(zoneinfo.ZoneInfo(time_zone))


def deactivate() -> None:
    _country.set(None)
    timezone.deactivate()


@contextlib.contextmanager
def override(*, country: str | None = None, time_zone: str | None = None, language: str | None = None):
    """Render as for this country, zone and language (each left as it is when None)."""
    token = _country.set((country or "").upper() or None) if country is not None else None
    with contextlib.ExitStack() as stack:
        if time_zone:
            stack.enter_context(timezone.override(zoneinfo.ZoneInfo(time_zone)))
        if language:
            stack.enter_context(translation.override(language))
        try:
            yield
        finally:
            if token is not None:
                _country.reset(token)


def for_organization(organization, *, language: str | None = None):
    """`override` with an organization's country and time zone (anything with `country` and `time_zone`)."""
    return override(country=organization.country, time_zone=organization.time_zone, language=language)
