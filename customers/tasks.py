"""Celery entry points for customers: they take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from customers.jobs import bulk_job_run, bulk_jobs_to_resume


@shared_task(name="customers.run_bulk_job", ignore_result=True, acks_late=True)
def run_bulk_job(job_id: int) -> None:
    bulk_job_run(job_id=job_id)


@shared_task(name="customers.sweep_bulk_jobs", ignore_result=True)
def sweep_bulk_jobs() -> None:
    """Re-enqueue jobs left behind by a lost message or a dead worker (cross-tenant by design)."""
    for job_id in bulk_jobs_to_resume():
        run_bulk_job.delay(job_id)
