"""Which CLDR locale (Babel) a reader gets: their language, in the organization's country where CLDR has it."""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError
from django.utils import translation

from localized.context import current_country


def reader_language(language: str | None = None) -> str:
    return (language or translation.get_language() or "en").split("-")[0].lower()


@functools.lru_cache(maxsize=256)
def _locale(language: str, country: str | None) -> Locale:
    if country:
        try:
            return Locale.parse(f"{language}_{country}")
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse(language)


def number_locale(language: str | None = None, country: str | None = None) -> Locale:
    """Separators and currency position: the language in the country (nl_BE, fr_BE); English stays `en`.

    English readers in the Benelux write `€1,234.56` as anywhere else; CLDR's en_BE would give `1.234,56 €`.
    """
    language = reader_language(language)
    if language == "en":
        return _locale("en", None)
    return _locale(language, country if country is not None else current_country())


def date_locale(language: str | None = None, country: str | None = None) -> Locale:
    """Dates as the organization's country writes them, in the reader's language (en_BE: 03/12/2026)."""
    return _locale(reader_language(language), country if country is not None else current_country())
