from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from collect.celery import app as celery_app
from customers import jobs
from customers.jobs import bulk_job_create, bulk_job_run, bulk_jobs_to_resume
from customers.models import BulkJob, BulkJobStatus, Customer
from organizations.models import ActivityLog
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def start(world, *, ids=(), filter_query="", select_all=False, manager=None):
    return bulk_job_create(
        organization=world.org_a, action="assign_account_manager",
        params={"account_manager": manager.pk if manager else None}, ids=list(ids), filter_query=filter_query,
        select_all=select_all, actor=world.owner_a.user,
    )  # fmt: skip


def test_assign_account_manager_to_chosen_customers(world):
    chosen = CustomerFactory.create_batch(3, organization=world.org_a)
    other = CustomerFactory(organization=world.org_a)
    job = start(world, ids=[c.pk for c in chosen], manager=world.manager_a)
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.succeeded) == (BulkJobStatus.DONE, 3, 3, 3)
    assert set(Customer.objects.filter(account_manager=world.manager_a)) == set(chosen)
    assert Customer.objects.get(pk=other.pk).account_manager is None
    logged = ActivityLog.objects.filter(code="customer.account_manager_assigned", actor_user=world.owner_a.user)
    assert set(logged.values_list("subject_id", flat=True)) == {c.pk for c in chosen}


def test_ids_of_another_organization_are_ignored(world):
    job = start(world, ids=[world.b.customer.pk, world.a.customer.pk], manager=world.manager_a)
    bulk_job_run(job_id=job.pk)
    assert job.total == 1
    assert Customer.objects.get(pk=world.b.customer.pk).account_manager is None


def test_select_all_matching_is_the_filter_at_run_time(world):
    french = CustomerFactory.create_batch(4, organization=world.org_a, language="fr")
    CustomerFactory.create_batch(2, organization=world.org_a, language="de")
    CustomerFactory(organization=world.org_b, language="fr")
    job = start(world, filter_query="language=fr&page=3", select_all=True, manager=world.manager_a)
    assert job.total == 4
    late = CustomerFactory(organization=world.org_a, language="fr")  # joins the filter before the run
    bulk_job_run(job_id=job.pk)
    assigned = set(Customer.objects.filter(account_manager=world.manager_a))
    assert assigned == {*french, late}


def test_a_job_resumes_after_its_worker_died_without_redoing_finished_chunks(world, monkeypatch):
    customers = CustomerFactory.create_batch(5, organization=world.org_a, language="en")
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)
    job = start(world, filter_query="language=en", select_all=True, manager=world.manager_a)
    # A worker claimed it, finished the first chunk, then died: its lease runs out.
    BulkJob.objects.filter(pk=job.pk).update(
        status=BulkJobStatus.RUNNING, processed=2, succeeded=2, last_customer_id=sorted(c.pk for c in customers)[1],
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )  # fmt: skip
    assert job.pk in bulk_jobs_to_resume()
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed) == (BulkJobStatus.DONE, job.total)
    assert Customer.objects.filter(account_manager=world.manager_a).count() == 3  # the last three only


def test_a_running_job_is_not_claimed_twice(world):
    job = start(world, ids=[world.a.customer.pk], manager=world.manager_a)
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING, heartbeat_at=timezone.now())
    assert bulk_job_run(job_id=job.pk) is None
    assert Customer.objects.get(pk=world.a.customer.pk).account_manager is None


def test_bulk_action_page_confirms_then_runs_in_the_background_with_progress(world, owner_a_client, settings):
    CustomerFactory.create_batch(3, organization=world.org_a, language="fr")
    url = reverse("customers:bulk", args=[world.org_a.slug])
    post = {"action": "assign_account_manager", "select_all": "1", "filter_query": "language=fr"}
    response = owner_a_client.post(url, post)
    assert response.status_code == 200 and response.context["count"] == 3
    response = owner_a_client.post(url, {**post, "confirm": "1", "account_manager": world.manager_a.pk})
    job = BulkJob.objects.filter(organization=world.org_a).latest("id")
    assert response["Location"] == reverse("customers:job", args=[world.org_a.slug, job.pk])
    page = owner_a_client.get(response["Location"])
    assert page.context["job"].total == 3


def test_an_empty_selection_is_explained(world, owner_a_client):
    url = reverse("customers:bulk", args=[world.org_a.slug])
    response = owner_a_client.post(url, {"action": "assign_account_manager"}, follow=True)
    assert b"Select at least one customer." in response.content


def test_assigning_a_follow_up_plan_in_bulk(world):
    customers = CustomerFactory.create_batch(2, organization=world.org_a)
    job = bulk_job_create(
        organization=world.org_a, action="assign_follow_up_plan", params={"follow_up_plan": world.a.plan.pk},
        ids=[c.pk for c in customers], filter_query="", select_all=False, actor=world.owner_a.user,
    )  # fmt: skip
    bulk_job_run(job_id=job.pk)
    assert Customer.objects.filter(follow_up_plan=world.a.plan).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_select_all_job_of_thousands(world):
    Customer.objects.bulk_create(
        [Customer(organization=world.org_a, name=f"Bulk {n}", language="de") for n in range(3000)]
    )
    job = start(world, filter_query="language=de", select_all=True, manager=world.manager_a)
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.3)
    assert (job.status, job.processed, job.total) == (BulkJobStatus.DONE, 3000, 3000)
    assert (
        Customer.objects.filter(organization=world.org_a, language="de", account_manager=world.manager_a).count()
        == 3000
    )
