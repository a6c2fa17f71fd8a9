"""Background bulk jobs over customers: create, run in resumable chunks, sweep the stuck ones.

The database holds the truth. The task only carries the job id; a job is claimed with a
compare-and-swap, processes customers in id order and records its resume point after every chunk, so a
worker killed mid-job or a lost broker message costs at most one repeated chunk (actions are safe to
repeat), never a lost or doubled job.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from datetime import timedelta
from urllib.parse import parse_qs

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from customers.bulk import bulk_action_get
from customers.filters import CustomerFilter
from customers.models import BulkJob, BulkJobStatus, Customer
from organizations.models import Organization
from organizations.parsing import parse_ids
from organizations.services import Actor, log_action

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500
LEASE = timedelta(minutes=5)  # a running job whose heartbeat is older than this is resumed
QUEUE_GRACE = timedelta(minutes=1)  # a queued job not started after this is enqueued again
MAX_PROBLEMS_KEPT = 500
# What a chunk changes; the selection (up to 100,000 ids) is not read again after every chunk.
PROGRESS_FIELDS = ["status", "processed", "succeeded", "failed", "last_customer_id", "problems", "heartbeat_at"]


def selection_queryset(*, organization: Organization, ids: list[int], filter_query: str, select_all: bool) -> QuerySet:
    """The customers a selection means, re-scoped to the organization (ids from forms are not trusted)."""
    base = Customer.objects.filter(organization=organization)
    if not select_all:
        return base.filter(pk__in=parse_ids(ids))
    data = QueryDict(filter_query or "")
    return CustomerFilter(data, queryset=base, organization=organization).qs


def job_queryset(job: BulkJob) -> QuerySet:
    return selection_queryset(
        organization=job.organization,
        ids=job.selected_ids,
        filter_query=job.selected_filter,
        select_all=job.select_all,
    )


@transaction.atomic
def bulk_job_create(
    *,
    organization: Organization,
    action: str,
    params: dict,
    ids: list[int],
    filter_query: str,
    select_all: bool,
    actor: Actor,
) -> BulkJob:
    from customers.tasks import run_bulk_job

    if bulk_action_get(action) is None:
        raise ValueError(f"Unknown bulk action {action!r}")
    job = BulkJob.objects.create(
        organization=organization, action=action, params=params, selected_ids=[] if select_all else ids,
        selected_filter=filter_query if select_all else "", select_all=select_all,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    job.total = job_queryset(job).count()
    job.save(update_fields=["total"])
    log_action(
        organization=organization,
        subject=job,
        code="bulk_job.started",
        actor=actor,
        data={
            "action": action,
            "customers": job.total,
            "filter": _readable(filter_query) if select_all else "",
        },
    )
    transaction.on_commit(lambda: run_bulk_job.delay(job.pk))
    return job


def _readable(filter_query: str) -> str:
    return ", ".join(f"{key}={','.join(values)}" for key, values in parse_qs(filter_query).items() if key != "page")


def _claim(job_id: int) -> BulkJob | None:
    now = timezone.now()
    claimable = Q(status=BulkJobStatus.QUEUED) | Q(status=BulkJobStatus.RUNNING, heartbeat_at__lt=now - LEASE)
    if not BulkJob.objects.filter(claimable, pk=job_id).update(status=BulkJobStatus.RUNNING, heartbeat_at=now):
        return None
    return BulkJob.objects.select_related("organization", "created_by").get(pk=job_id)


def bulk_job_run(*, job_id: int) -> BulkJob | None:
    """Run (or resume) a job to the end. Returns None when another worker holds it or it is finished."""
    job = _claim(job_id)
    if job is None:
        return None
    action = bulk_action_get(job.action)
    try:
        while ids := _next_chunk(job):
            _run_chunk(job, action, ids)
    except Exception as error:
        logger.exception("Bulk job %s failed", job.pk)
        _finish(job, BulkJobStatus.FAILED, problem=str(error))
        return job
    _finish(job, BulkJobStatus.DONE)
    return job


def _next_chunk(job: BulkJob) -> list[int]:
    """The next customer ids after the resume point. A chosen-ids job pages through its sorted ids in Python:
    asking the database with all of them (`pk IN (100,000 ids)`) every chunk costs seconds per chunk."""
    if job.select_all:
        return list(job_queryset(job).filter(pk__gt=job.last_customer_id).order_by("pk")
                    .values_list("pk", flat=True)[:CHUNK_SIZE])  # fmt: skip
    if getattr(job, "sorted_ids", None) is None:
        job.sorted_ids = sorted(set(parse_ids(job.selected_ids)))  # once per run, not per chunk
    pending = job.sorted_ids[bisect_right(job.sorted_ids, job.last_customer_id) :]
    for start in range(0, len(pending), CHUNK_SIZE):
        window = pending[start : start + CHUNK_SIZE]
        found = list(Customer.objects.filter(organization=job.organization, pk__in=window).order_by("pk")
                     .values_list("pk", flat=True))  # fmt: skip
        if found:
            return found
    return []


def _run_chunk(job: BulkJob, action, ids: list[int]) -> None:
    with transaction.atomic():
        result = action.apply(
            organization=job.organization,
            customer_ids=ids,
            params={**job.params, "job_id": job.pk},
            actor=job.created_by,
        )
        failed = len(result.problems)
        BulkJob.objects.filter(pk=job.pk).update(
            processed=F("processed") + len(ids), succeeded=F("succeeded") + len(ids) - failed,
            failed=F("failed") + failed, last_customer_id=ids[-1], heartbeat_at=timezone.now(),
        )  # fmt: skip
        if result.problems:
            job.refresh_from_db(fields=["problems"])
            job.problems = (job.problems + result.problems)[:MAX_PROBLEMS_KEPT]
            job.save(update_fields=["problems"])
    job.refresh_from_db(fields=PROGRESS_FIELDS)


def _finish(job: BulkJob, status: str, problem: str = "") -> None:
    job.refresh_from_db()
    job.status = status
    job.finished_at = timezone.now()
    if problem:
        job.problems = [*job.problems, {"customer": None, "name": "", "message": problem}][:MAX_PROBLEMS_KEPT]
    job.save(update_fields=["status", "finished_at", "problems"])
    log_action(
        organization=job.organization,
        subject=job,
        code=f"bulk_job.{status}",
        actor=job.created_by,
        data={"action": job.action, "succeeded": job.succeeded, "failed": job.failed},
    )


def bulk_jobs_to_resume() -> list[int]:
    """Cross-tenant: jobs whose broker message was lost or whose worker died."""
    now = timezone.now()
    stale = Q(status=BulkJobStatus.QUEUED, created_at__lt=now - QUEUE_GRACE, heartbeat_at__isnull=True) | Q(
        status=BulkJobStatus.RUNNING, heartbeat_at__lt=now - LEASE
    )
    return list(BulkJob.objects.filter(stale).values_list("pk", flat=True)[:100])
