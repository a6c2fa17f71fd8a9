"""The shared body of `import_customers` and `import_invoices`: the same checks and transaction as the
import pages, printed as text. Without --skip-invalid a file with any error imports nothing and the
command exits non-zero."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from invoices.batches import (
    ImportConflict,
    import_batch_cancel,
    import_batch_confirm,
    import_batch_create,
    refusal_text,
)
from invoices.import_forms import unreadable_message
from organizations.models import Organization
from tabular.importing import ImportPlan, RowApplyError
from tabular.reading import UnreadableFile


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or XLSX file; the first row holds the column names")
        parser.add_argument("--organization", required=True, help="Organization slug")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import the valid rows even if other rows have errors"
        )

    def handle(self, *args, file: str, organization: str, skip_invalid: bool, **options):
        found = Organization.objects.filter(slug=organization).first()
        if found is None:
            raise CommandError(f"No organization with slug {organization!r}.")
        path = Path(file)
        try:
            content = path.read_bytes()
            batch = import_batch_create(organization=found, kind=self.kind, content=content, filename=path.name)
        except OSError as problem:
            raise CommandError(f"Cannot read {file}: {problem}") from problem
        except UnreadableFile as problem:
            raise CommandError(f"Cannot read {file}: {unreadable_message(problem)}") from problem
        try:
            outcome = import_batch_confirm(batch=batch, skip_invalid=skip_invalid)
        except (RowApplyError, ImportConflict) as problem:
            import_batch_cancel(batch=batch)
            raise CommandError(f"Nothing was imported: {problem}") from problem
        self.report(path.name, outcome.plan)
        if not outcome.imported:
            import_batch_cancel(batch=batch)
            raise CommandError(refusal_text(outcome.refusal))
        plan = outcome.plan
        self.stdout.write(f"Imported: {plan.new} new, {plan.updated} updated, {plan.unchanged} unchanged, "
                          f"{plan.invalid} skipped.")  # fmt: skip

    def report(self, filename: str, plan: ImportPlan) -> None:
        rows = "row" if plan.total == 1 else "rows"
        self.stdout.write(
            f"{filename}: {plan.total} {rows}: {plan.new} new, {plan.updated} to update, {plan.unchanged} unchanged, "
            f"{plan.invalid} invalid."
        )
        for problem in plan.errors:
            self.stdout.write(f"Error: {problem}")
        for problem in plan.warnings:
            self.stdout.write(f"Warning: {problem}")
