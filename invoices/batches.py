"""Import batches: upload and check, then import on confirmation, all-or-nothing, in a background job.

Bad input loses nothing: an upload only stores the file and what the check found. Confirming in the browser
(`import_batch_queue`) checks what the user saw and hands the batch to a worker; the job (`import_batch_run`)
checks the stored file again inside its transaction (the data may have changed since the preview) and imports
only when the outcome is what the user confirmed: every row, or the valid rows with the invalid ones explicitly
skipped. A refused row or a clash with a concurrent change undoes the whole import and puts the batch back to
"waiting for confirmation" with the reason. The batch row is locked for the whole import and moved out of
`importing` in that same transaction, so a repeated job (a redelivered message, the sweeper) imports once. The
command line imports at once (`import_batch_confirm`), through the same code.

Progress (rows written) is kept in the cache, because the rows themselves only appear when the transaction
commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.imports import CustomerImporter
from customers.models import Contact, Customer
from invoices.imports import InvoiceImporter
from invoices.models import ImportBatch, ImportKind, ImportStatus, Invoice
from organizations.models import ActivityLog, ApiKey, Organization
from organizations.services import Actor, log_action
from tabular.bulk_insert import analyze_after_bulk_write
from tabular.importing import Importer, ImportPlan, RowApplyError
from tabular.reading import read_table

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
IMPORTERS: dict[str, Importer] = {
    ImportKind.CUSTOMERS: CustomerImporter(),
    ImportKind.INVOICES: InvoiceImporter(),
}
# The tables an import of each kind writes to (refreshed statistics after a large one).
GROWN_TABLES = {
    ImportKind.CUSTOMERS: (Customer, Contact, ActivityLog),
    ImportKind.INVOICES: (Invoice, ActivityLog),
}
# Why a confirmation did not import.
NOT_PENDING, HAS_ERRORS, CHANGED, FAILED = "not_pending", "has_errors", "changed", "failed"
# A confirmed batch handed to a worker longer ago than this, and not being imported, is handed over again.
LEASE = timedelta(minutes=15)
MAX_RUNS = 3
PROGRESS_TTL = 2 * 60 * 60
QUEUE_FIELDS = ["status", "skip_invalid", "expected_rows", "confirmed_by", "confirmed_by_key", "confirmed_at",
                "queued_at", "runs"]  # fmt: skip
# Why a confirmed import went back to the user (summary["failure"]); the texts are in `failure_text`.
CONFLICT, ROW_REFUSED, UNEXPECTED, STOPPED = "conflict", "row_refused", "unexpected", "stopped"


class ImportConflict(Exception):
    """A write clashed with a concurrent change; the import was rolled back as a whole."""


@dataclass
class ImportOutcome:
    batch: ImportBatch
    plan: ImportPlan | None
    imported: bool
    refusal: str = ""
    queued: bool = False  # handed to a background job


def import_plan(*, organization: Organization, kind: str, content: bytes, filename: str) -> ImportPlan:
    """Read and check a file without writing anything. Raises tabular.reading.UnreadableFile."""
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
    """Import the batch's valid rows now, in one transaction, if the check still gives what was confirmed.

    Without `skip_invalid` a file with any error imports nothing. `expected_rows` is the number of rows
    the user saw on the button; a different count now (someone changed the data) imports nothing.
    Raises tabular.importing.RowApplyError if a service refuses a row and ImportConflict if a concurrent
    change collides; either way everything is rolled back.
    """
    with transaction.atomic():
        batch = _locked(batch.pk)
        if batch is None or batch.status != ImportStatus.PENDING:
            return ImportOutcome(batch, None, imported=False, refusal=NOT_PENDING)
        return _import(batch, skip_invalid=skip_invalid, expected_rows=expected_rows, actor=actor)


def import_batch_queue(
    *, batch: ImportBatch, skip_invalid: bool, expected_rows: int | None = None, actor: Actor = None
) -> ImportOutcome:
    """Confirm in the browser: refuse at once what the preview already shows would be refused, otherwise hand
    the batch to a background job (`imported` stays False; `queued` is True)."""
    user = actor if isinstance(actor, AbstractBaseUser) else None
    api_key = actor if isinstance(actor, ApiKey) else None
    with transaction.atomic():
        batch = _locked(batch.pk)
        if batch is None or batch.status != ImportStatus.PENDING:
            return ImportOutcome(batch, None, imported=False, refusal=NOT_PENDING)
        summary = {name: value for name, value in (batch.summary or {}).items() if name not in ("failure", "refusal")}
        valid, has_errors = summary.get("valid", 0), bool(summary.get("errors_total") or summary.get("invalid"))
        if not valid or (has_errors and not skip_invalid):
            return ImportOutcome(batch, None, imported=False, refusal=HAS_ERRORS)
        if expected_rows is not None and expected_rows != valid:
            return ImportOutcome(batch, None, imported=False, refusal=CHANGED)
        now = timezone.now()
        batch.status, batch.summary, batch.skip_invalid, batch.expected_rows = (
            ImportStatus.IMPORTING, summary, skip_invalid, expected_rows
        )  # fmt: skip
        batch.confirmed_by, batch.confirmed_by_key = user, api_key
        batch.confirmed_at, batch.queued_at, batch.runs = now, now, 1
        batch.save(update_fields=[*QUEUE_FIELDS, "summary"])
        log_action(
            organization=batch.organization, subject=batch, code="import.confirmed", actor=actor,
            data={"kind": batch.kind, "file": batch.original_filename, "rows": valid},
        )  # fmt: skip
        cache.delete(progress_key(batch.pk))
        _enqueue(batch.pk)
    return ImportOutcome(batch, None, imported=False, queued=True)


def import_batch_run(*, batch_id: int) -> ImportOutcome | None:
    """The background job: import a confirmed batch, or put it back to "waiting for confirmation" with the reason.

    None when there is nothing to do (the batch is no longer importing: a repeated job).
    """
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch is None or batch.status != ImportStatus.IMPORTING:
            return None
        with translation.override(batch.organization.default_language):
            try:
                with transaction.atomic():  # a refused row undoes the rows, not the batch's new status
                    outcome = _import(batch, skip_invalid=batch.skip_invalid, expected_rows=batch.expected_rows,
                                      actor=batch.confirmed_by or batch.confirmed_by_key,
                                      progress=_progress_writer(batch))  # fmt: skip
            except RowApplyError as problem:  # the service's words, in the organization's language
                _back_to_pending(batch, failure=ROW_REFUSED, detail={"row": problem.row, "message": problem.message})
                return ImportOutcome(batch, None, imported=False, refusal=FAILED)
            except ImportConflict:
                _back_to_pending(batch, failure=CONFLICT)
                return ImportOutcome(batch, None, imported=False, refusal=FAILED)
            if not outcome.imported:
                _back_to_pending(batch, refusal=outcome.refusal)
    cache.delete(progress_key(batch.pk))
    return outcome


def import_batch_fail(*, batch_id: int, failure: str = UNEXPECTED) -> bool:
    """Put a batch whose job stopped on an unexpected error back to "waiting for confirmation" (nothing was
    imported: the job's transaction was rolled back). False if it was no longer importing."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch is None or batch.status != ImportStatus.IMPORTING:
            return False
        _back_to_pending(batch, failure=failure)
    cache.delete(progress_key(batch_id))
    return True


def import_batches_requeue(*, now=None) -> list[int]:
    """Hand confirmed batches whose job vanished (worker killed, broker message lost) to a worker again.

    Only batches queued longer than LEASE ago and not locked: on PostgreSQL a running import holds its batch's
    row lock, so SKIP LOCKED leaves it alone. After MAX_RUNS hand-overs the batch goes back to the user.
    """
    now = now or timezone.now()
    requeued = []
    with transaction.atomic():
        stale = ImportBatch.objects.filter(status=ImportStatus.IMPORTING, queued_at__lt=now - LEASE)
        for batch in stale.select_for_update(skip_locked=True, of=("self",)).select_related("organization"):
            if batch.runs >= MAX_RUNS:
                _back_to_pending(batch, failure=STOPPED)
                continue
            batch.queued_at, batch.runs = now, batch.runs + 1
            batch.save(update_fields=["queued_at", "runs"])
            _enqueue(batch.pk)
            requeued.append(batch.pk)
    return requeued


def import_progress(batch: ImportBatch) -> dict[str, Any]:
    """{"phase": "waiting" | "checking" | "writing", "done": rows written, "total": rows to write}."""
    if batch.status != ImportStatus.IMPORTING:
        return {}
    progress = cache.get(progress_key(batch.pk)) or {"phase": "waiting", "done": 0, "total": 0}
    total = progress.get("total") or 0
    return {**progress, "percent": round(100 * progress.get("done", 0) / total) if total else 0}


def progress_key(batch_id: int) -> str:
    return f"import-progress:{batch_id}"


def _progress_writer(batch: ImportBatch) -> Callable[[str, int, int], None]:
    key = progress_key(batch.pk)

    def write(phase: str, done: int, total: int) -> None:
        cache.set(key, {"phase": phase, "done": done, "total": total}, timeout=PROGRESS_TTL)

    return write


def _locked(batch_id: int) -> ImportBatch | None:
    """The batch, its row locked until the transaction ends (not its organization's, read along for its language)."""
    return (
        ImportBatch.objects.select_for_update(of=("self",)).select_related("organization").filter(pk=batch_id).first()
    )


def _enqueue(batch_id: int) -> None:
    from invoices.tasks import run_import_batch

    transaction.on_commit(lambda: run_import_batch.delay(batch_id))


def _import(batch: ImportBatch, *, skip_invalid: bool, expected_rows: int | None, actor: Actor,
            progress: Callable[[str, int, int], None] | None = None) -> ImportOutcome:  # fmt: skip
    """Check the stored file again and write its rows (the caller holds the batch's row lock)."""
    if progress:
        progress("checking", 0, 0)
    plan = import_batch_plan(batch=batch)
    batch.summary = plan.summary()
    refusal = _refusal(plan, skip_invalid=skip_invalid, expected_rows=expected_rows)
    if refusal:
        batch.save(update_fields=["summary"])
        return ImportOutcome(batch, plan, imported=False, refusal=refusal)
    rows = plan.to_write  # unchanged rows are confirmed, not written
    written = (lambda done: progress("writing", done, len(rows))) if progress else None
    if written:
        written(0)
    try:
        IMPORTERS[batch.kind].apply(organization=batch.organization, rows=rows, actor=actor, progress=written)
    except IntegrityError as error:
        # Another import or user wrote the same reference or number meanwhile; all of this is undone.
        raise ImportConflict(_("the data changed while importing. Check the preview and confirm again.")) from error
    _mark_imported(batch, plan, actor=actor)
    analyze_after_bulk_write(GROWN_TABLES[batch.kind], rows=len(rows))
    return ImportOutcome(batch, plan, imported=True)


def _back_to_pending(batch: ImportBatch, *, failure: str = "", refusal: str = "", detail: dict | None = None) -> None:
    batch.status = ImportStatus.PENDING
    batch.summary = {**(batch.summary or {}), "failure": failure, "failure_detail": detail or {}, "refusal": refusal}
    batch.save(update_fields=["status", "summary"])
    log_action(
        organization=batch.organization, subject=batch, code="import.failed", actor=None,
        data={"kind": batch.kind, "file": batch.original_filename, "reason": failure or refusal},
    )  # fmt: skip


def _refusal(plan: ImportPlan, *, skip_invalid: bool, expected_rows: int | None) -> str:
    if not plan.rows or (plan.errors and not skip_invalid):
        return HAS_ERRORS
    if expected_rows is not None and expected_rows != len(plan.rows):
        return CHANGED
    return ""


def _mark_imported(batch: ImportBatch, plan: ImportPlan, *, actor: Actor) -> None:
    counts = {"new": plan.new, "updated": plan.updated, "unchanged": plan.unchanged, "skipped": plan.invalid}
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
        log_action(
            organization=batch.organization, subject=batch, code="import.cancelled", actor=actor,
            data={"kind": batch.kind, "file": batch.original_filename},
        )  # fmt: skip
    return bool(cancelled)


def failure_text(summary: dict[str, Any]) -> str:
    """Why the last confirmed import of this batch imported nothing ("" when it did not fail)."""
    detail = summary.get("failure_detail") or {}
    texts = {
        CONFLICT: _("Nothing was imported: the data changed while importing. Check the preview and confirm again."),
        UNEXPECTED: _(
            "Nothing was imported: the import stopped on an unexpected error. Try again, or contact "
            "support if it happens again."
        ),  # fmt: skip
        STOPPED: _(
            "Nothing was imported: the import stopped before it finished, several times. Try again, or "
            "split the file into smaller ones."
        ),  # fmt: skip
        ROW_REFUSED: _("Nothing was imported: row %(row)s was refused: %(message)s")
        % {"row": detail.get("row", "?"), "message": detail.get("message", "")},
    }
    return texts.get(summary.get("failure", ""), "") or refusal_text(summary.get("refusal", ""))


def refusal_text(refusal: str) -> str:
    return {
        NOT_PENDING: _("This file is being imported, or was already imported or cancelled."),
        HAS_ERRORS: _("Nothing was imported: the file has errors. Fix them, or confirm importing only the valid rows."),
        CHANGED: _(
            "Nothing was imported: the data changed since the preview. Check the new preview and confirm again."
        ),
    }.get(refusal, "")
