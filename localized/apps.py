from __future__ import annotations

from django.apps import AppConfig


class LocalizedConfig(AppConfig):
    """Reading and writing money, numbers, dates and times as the reader and the organization expect."""

    name = "localized"
    verbose_name = "Localized formats"
