"""Every UI string exists in Dutch, French and German, keeps its placeholders, and compiles without gettext."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext, ngettext, override, trans_real

pytestmark = pytest.mark.smoke

LANGUAGES = ["nl", "fr", "de"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
CUSTOMERS = {"nl": "Klanten", "fr": "Clients", "de": "Kunden"}


def po_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po"


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(po_path(language)))


def markers(text: str) -> Counter[str]:
    text = text.replace("%%", "")
    return Counter(PLACEHOLDER.findall(text) + HTML_TAG.findall(text))


def translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def first_plural_entry(language: str) -> polib.POEntry:
    return next(entry for entry in catalog(language) if entry.msgid_plural)


def reset_translation_caches() -> None:
    trans_real._translations = {}
    trans_real._default = None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated(language):
    po = catalog(language)
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    assert not untranslated, f"{language}: untranslated msgids: {untranslated}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_entry_is_fuzzy(language):
    po = catalog(language)
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not po.metadata_is_fuzzy, f"{language}: the header is marked fuzzy"
    assert not fuzzy, f"{language}: fuzzy msgids: {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_markup_survive(language):
    mismatches = []
    for entry in catalog(language).translated_entries():
        allowed = [markers(entry.msgid)] + ([markers(entry.msgid_plural)] if entry.msgid_plural else [])
        for translated in translations(entry):
            if markers(translated) not in allowed:
                mismatches.append(f"{entry.msgid!r} -> {translated!r}")
    assert not mismatches, f"{language}: placeholders or markup differ: {mismatches}"


def test_catalogs_compile_without_gettext_and_are_used():
    out = StringIO()
    call_command("compile_translations", stdout=out)
    reset_translation_caches()
    try:
        po_files = list(Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/*.po"))
        assert f"Compiled {len(po_files)} translation file(s)." in out.getvalue()
        for language in LANGUAGES:
            assert po_path(language).with_suffix(".mo").exists()
            plural = first_plural_entry(language)
            with override(language):
                assert gettext("Customers") == CUSTOMERS[language]
                assert ngettext(plural.msgid, plural.msgid_plural, 2) == plural.msgstr_plural[1]
        with override("en"):
            assert gettext("Customers") == "Customers"
    finally:
        reset_translation_caches()
