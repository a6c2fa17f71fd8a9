"""python manage.py import_invoices FILE --organization SLUG [--skip-invalid]"""

from __future__ import annotations

from invoices.management.import_command import ImportCommand


class Command(ImportCommand):
    help = "Import invoices from a CSV or XLSX file; existing invoice numbers are updated."
    kind = "invoices"
