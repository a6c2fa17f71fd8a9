"""python manage.py import_customers FILE --organization SLUG [--skip-invalid]"""

from __future__ import annotations

from invoices.management.import_command import ImportCommand


class Command(ImportCommand):
    help = "Import customers from a CSV or XLSX file; existing external references are updated."
    kind = "customers"
