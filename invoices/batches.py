"""Import batches: upload and check, then import on confirmation, all-or-nothing.

Bad input loses nothing: an upload only stores the file and what the check found. Confirming checks the
stored file again inside the transaction (the data may have changed since the preview) and imports only
when the outcome is what the user confirmed: every row, or the valid rows with the invalid ones
explicitly skipped. The batch row is locked and moved out of `pending` in that same transaction, so a
double click imports once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collect.importing import Importer, ImportPlan
from collect.tabular import read_table
from customers.imports import CustomerImporter
from invoices.imports import InvoiceImporter
from invoices.models import ImportBatch, ImportKind, ImportStatus
from organizations.models import Organization
from organizations.services import Actor, log_action

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
IMPORTERS: dict[str, Importer] = {
    ImportKind.CUSTOMERS: CustomerImporter(),
    ImportKind.INVOICES: InvoiceImporter(),
}
# Why a confirmation did not import.
NOT_PENDING, HAS_ERRORS, CHANGED = "not_pending", "has_errors", "changed"


class ImportConflict(Exception):
    """A write clashed with a concurrent change; the import was rolled back as a whole."""


@dataclass
class ImportOutcome:
    batch: ImportBatch
    plan: ImportPlan | None
    imported: bool
    refusal: str = ""


def import_plan(*, organization: Organization, kind: str, content: bytes, filename: str) -> ImportPlan:
    """Read and check a file without writing anything. Raises collect.tabular.UnreadableFile."""
    importer = IMPORTERS[kind]
    table = read_table(content, filename=filename, columns=importer.columns)
    return importer.plan(organization=organization, table=table)


def import_batch_create(
    *, organization: Organization, kind: str, content: bytes, filename: str, actor: Actor = None
) -> ImportBatch:
    """Check the file and keep it for the preview. Raises UnreadableFile before anything is stored."""
    plan = import_plan(organization=organization, kind=kind, content=content, filename=filename)
    batch = ImportBatch(
        organization=organization,
        kind=kind,
        original_filename=Path(filename).name[:255] or "import",
        summary=plan.summary(),
        created_by=actor if isinstance(actor, AbstractBaseUser) else None,
    )
    batch.file.save(filename, ContentFile(content), save=False)
    batch.save()
    return batch


def import_batch_plan(*, batch: ImportBatch) -> ImportPlan:
    with batch.file.open("rb") as stored:
        content = stored.read()
    return import_plan(
        organization=batch.organization, kind=batch.kind, content=content, filename=batch.original_filename
    )


def import_batch_confirm(
    *, batch: ImportBatch, skip_invalid: bool, expected_rows: int | None = None, actor: Actor = None
) -> ImportOutcome:
    """Import the batch's valid rows in one transaction, if the check still gives what was confirmed.

    Without `skip_invalid` a file with any error imports nothing. `expected_rows` is the number of rows
    the user saw on the button; a different count now (someone changed the data) imports nothing.
    Raises collect.importing.RowApplyError if a service refuses a row and ImportConflict if a concurrent
    change collides; either way everything is rolled back.
    """
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("organization").get(pk=batch.pk)
        if batch.status != ImportStatus.PENDING:
            return ImportOutcome(batch, None, imported=False, refusal=NOT_PENDING)
        plan = import_batch_plan(batch=batch)
        batch.summary = plan.summary()
        refusal = _refusal(plan, skip_invalid=skip_invalid, expected_rows=expected_rows)
        if refusal:
            batch.save(update_fields=["summary"])
            return ImportOutcome(batch, plan, imported=False, refusal=refusal)
        try:
            IMPORTERS[batch.kind].apply(organization=batch.organization, rows=plan.rows, actor=actor)
        except IntegrityError as error:
            # Another import or user wrote the same reference or number meanwhile; all of this is undone.
            raise ImportConflict(_("the data changed while importing. Check the preview and confirm again.")) from error
        _mark_imported(batch, plan, actor=actor)
    return ImportOutcome(batch, plan, imported=True)


def _refusal(plan: ImportPlan, *, skip_invalid: bool, expected_rows: int | None) -> str:
    if not plan.rows or (plan.errors and not skip_invalid):
        return HAS_ERRORS
    if expected_rows is not None and expected_rows != len(plan.rows):
        return CHANGED
    return ""


def _mark_imported(batch: ImportBatch, plan: ImportPlan, *, actor: Actor) -> None:
    counts = {"new": plan.new, "updated": plan.updated, "skipped": plan.invalid}
    batch.status = ImportStatus.IMPORTED
    batch.imported_at = timezone.now()
    batch.summary = {**batch.summary, "imported": counts}
    batch.save(update_fields=["status", "imported_at", "summary"])
    log_action(
        organization=batch.organization,
        subject=batch,
        code="import.completed",
        actor=actor,
        data={"kind": batch.kind, "file": batch.original_filename, **counts},
    )


def import_batch_cancel(*, batch: ImportBatch, actor: Actor = None) -> bool:
    """Drop a pending batch and its stored file. False if it was no longer pending."""
    cancelled = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.CANCELLED
    )
    if cancelled:
        batch.file.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
    return bool(cancelled)


def refusal_message(outcome: ImportOutcome) -> str:
    return {
        NOT_PENDING: _("This file was already imported or cancelled."),
        HAS_ERRORS: _("Nothing was imported: the file has errors. Fix them, or confirm importing only the valid rows."),
        CHANGED: _(
            "Nothing was imported: the data changed since the preview. Check the new preview and confirm again."
        ),
    }[outcome.refusal]
