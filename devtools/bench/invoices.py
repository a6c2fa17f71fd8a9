"""Import benchmark: a daily sync file of open invoices, checked and imported by the background job's code.

Found by the registry's autodiscovery (`bench_scenarios`). The file holds IMPORT_UPDATES existing open invoices
of the bench organization with a lower open amount (a partial payment) and IMPORT_NEW new invoices for existing
customers. It is checked as an upload is (`import_batch_create`) and imported as the job does it
(`import_batch_queue`, then `import_batch_run`), inside a transaction rolled back afterwards, so the bench data
stays as it was. The time is the job's; the upload check is reported next to it.
"""

from __future__ import annotations

import csv
import io
import time as clock

from django.db import transaction

from devtools.bench.registry import BenchContext, Outcome, scenario
from invoices.batches import import_batch_create, import_batch_queue, import_batch_run
from invoices.models import Invoice, InvoiceStatus

IMPORT_UPDATES = 20_000
IMPORT_NEW = 20_000


class _RolledBack(Exception):
    pass


def sync_file(context: BenchContext) -> bytes:
    open_invoices = (
        Invoice.objects.filter(organization=context.organization, status=InvoiceStatus.OPEN, open_amount__gt=1)
        .exclude(customer__external_ref="")
        .order_by("id")
        .values_list("number", "customer__external_ref", "issue_date", "due_date", "amount", "open_amount")
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["number", "customer_ref", "issue_date", "due_date", "amount", "open_amount"])
    refs = []
    for number, ref, issued, due, amount, open_amount in open_invoices[:IMPORT_UPDATES]:
        writer.writerow([number, ref, issued, due, amount, (open_amount / 2).quantize(open_amount)])
        refs.append((ref, issued, due))
    for n in range(IMPORT_NEW):
        ref, issued, due = refs[n % len(refs)]
        writer.writerow([f"SYNC-{n:06d}", ref, issued, due, "250.00", "250.00"])
    return buffer.getvalue().encode()


@scenario(
    "imports.invoice_sync_40k",
    f"Import job for a {IMPORT_UPDATES + IMPORT_NEW:,}-row invoice file ({IMPORT_UPDATES:,} open amounts "
    f"changed, {IMPORT_NEW:,} new), all or nothing, rolled back afterwards",
    target_ms=120_000,
    runs=1,
    warmups=0,
)
def invoice_sync(context: BenchContext) -> Outcome:
    content = sync_file(context)
    extra: dict = {}
    try:
        with transaction.atomic():
            started = clock.perf_counter()
            batch = import_batch_create(organization=context.organization, kind="invoices", content=content,
                                        filename="sync.csv", actor=context.user)  # fmt: skip
            extra["check_ms"] = round((clock.perf_counter() - started) * 1000)
            extra |= {"new": batch.summary["new"], "updated": batch.summary["updated"],
                      "invalid": batch.summary["invalid"]}  # fmt: skip
            import_batch_queue(batch=batch, skip_invalid=False, expected_rows=batch.summary["valid"],
                               actor=context.user)  # fmt: skip
            started = clock.perf_counter()
            outcome = import_batch_run(batch_id=batch.pk)
            elapsed = (clock.perf_counter() - started) * 1000
            extra["rows_per_second"] = round(batch.summary["valid"] / (elapsed / 1000))
            if outcome is None or not outcome.imported:
                return Outcome(ok=False, reason=f"not imported: {outcome and outcome.batch.summary.get('failure')}",
                               extra=extra)  # fmt: skip
            raise _RolledBack
    except _RolledBack:
        pass
    return Outcome(elapsed_ms=elapsed, extra=extra)
