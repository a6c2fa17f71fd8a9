"""python manage.py compile_translations: every locale/*/LC_MESSAGES/*.po into the .mo next to it.

Pure Python (polib), so installs and containers need no GNU gettext. Fuzzy and untranslated entries are
left out of the .mo, as msgfmt does, so Django falls back to the English source for them.
"""

from __future__ import annotations

import os
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def locale_dirs() -> list[Path]:
    return [Path(path) for path in settings.LOCALE_PATHS]


def po_files(directories: list[Path]) -> list[Path]:
    return sorted(path for directory in directories for path in directory.glob("*/LC_MESSAGES/*.po"))


def compile_po(po_path: Path) -> Path:
    catalog = polib.pofile(str(po_path))
    for entry in catalog.fuzzy_entries():
        catalog.remove(entry)  # polib would skip them too; being explicit keeps this independent of polib
    mo_path = po_path.with_suffix(".mo")
    partial_path = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.partial")
    catalog.save_as_mofile(str(partial_path))
    os.replace(partial_path, mo_path)  # a process reading the catalog never sees a half-written file
    return mo_path


class Command(BaseCommand):
    help = "Compile the project's .po translation catalogs into .mo files with polib (no gettext needed)."

    def handle(self, *args, **options) -> None:
        paths = po_files(locale_dirs())
        for po_path in paths:
            mo_path = compile_po(po_path)
            if options["verbosity"] > 1:
                self.stdout.write(f"Compiled {mo_path}")
        self.stdout.write(self.style.SUCCESS(f"Compiled {len(paths)} translation file(s)."))
