"""The legal authorisation text of a mandate, in the debtor's language (files in mandates/legal/)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LEGAL_DIR = Path(__file__).resolve().parent / "legal"
LANGUAGES = ("en", "nl", "fr", "de")


@lru_cache(maxsize=16)
def _template(scheme: str, language: str) -> str:
    language = language if language in LANGUAGES else "en"
    return (LEGAL_DIR / language / f"{scheme}.txt").read_text(encoding="utf-8")


def legal_paragraphs(*, scheme: str, language: str, creditor_name: str) -> list[str]:
    """The paragraphs the debtor accepts; the creditor's name filled in (no other placeholder exists)."""
    text = _template(scheme, language).replace("{creditor_name}", creditor_name)
    return [line.strip() for line in text.splitlines() if line.strip()]
