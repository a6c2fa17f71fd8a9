"""The built-in scenarios, on the benchmark organization (bench-1: 200,000 customers, 1,000,000 invoices)."""

from __future__ import annotations

import time

from customers.jobs import bulk_job_run, selection_queryset
from customers.models import BulkJob, BulkJobStatus
from devtools.bench.registry import BenchContext, Outcome, scenario
from organizations.selectors import members_list

CUSTOMER_FILTER = "valid_email=true&has_overdue_invoices=true&language=nl"
# About a quarter of the generated customers speak Dutch: ~50,000 on bench-1.
BULK_FILTER = "language=nl"


@scenario(
    "customers.filtered_list",
    "Customer list page filtered on valid e-mail, overdue invoices and language: first page and total count",
    target_ms=150,
)
def customers_filtered_list(context: BenchContext) -> Outcome:
    return Outcome.of(context.client.get(f"/o/{context.organization.slug}/customers/?{CUSTOMER_FILTER}"))


@scenario(
    "customers.filtered_api",
    "GET /api/v1/customers/ with the same filter (session + X-Organization): first page",
    target_ms=150,
)
def customers_filtered_api(context: BenchContext) -> Outcome:
    headers = {"X-Organization": context.organization.slug}
    return Outcome.of(context.client.get(f"/api/v1/customers/?{CUSTOMER_FILTER}", headers=headers))


@scenario(
    "invoices.by_days_overdue",
    "Open invoices sorted by days overdue: first page with count",
    target_ms=150,
)
def invoices_by_days_overdue(context: BenchContext) -> Outcome:
    return Outcome.of(context.client.get(f"/o/{context.organization.slug}/invoices/?status=open&sort=-days_overdue"))


@scenario(
    "dashboard.aging",
    "Dashboard: aging buckets per currency, outstanding, overdue and DSO",
    target_ms=150,
)
def dashboard_aging(context: BenchContext) -> Outcome:
    return Outcome.of(context.client.get(f"/o/{context.organization.slug}/"))


@scenario(
    "bulk.assign_50k",
    f"Bulk job: assign an account manager to every customer matching {BULK_FILTER!r}, run synchronously",
    target_ms=60_000,
    runs=1,
    warmups=0,
)
def bulk_assign_account_manager(context: BenchContext) -> Outcome:
    """Times `bulk_job_run` only. The job is created directly (not through the service) so no task is queued."""
    organization = context.organization
    selection = selection_queryset(organization=organization, ids=[], filter_query=BULK_FILTER, select_all=True)
    managers = list(members_list(organization=organization).filter(is_account_manager=True))
    if not managers:
        return Outcome(ok=False, reason="the organization has no account managers")
    # The manager who holds the fewest of these customers, so nearly every customer really changes.
    manager = min(managers, key=lambda membership: selection.filter(account_manager=membership).count())
    job = BulkJob.objects.create(
        organization=organization, action="assign_account_manager", params={"account_manager": manager.pk},
        selected_filter=BULK_FILTER, select_all=True, created_by=context.user, total=selection.count(),
    )  # fmt: skip
    started = time.perf_counter()
    bulk_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    extra = {"customers": job.processed, "failed": job.failed, "customers_per_second": round(job.processed / seconds)}
    if job.status != BulkJobStatus.DONE:
        return Outcome(
            ok=False, reason=f"job {job.status}: {job.problems[-1:]}", elapsed_ms=seconds * 1000, extra=extra
        )
    return Outcome(elapsed_ms=seconds * 1000, extra=extra)
