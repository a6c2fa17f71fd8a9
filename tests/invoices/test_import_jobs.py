"""Imports run in a background job: confirm, follow the progress, see the result or exactly why nothing was imported."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from invoices.batches import (
    LEASE,
    MAX_RUNS,
    _progress_writer,
    import_batch_create,
    import_batch_queue,
    import_batch_run,
    import_batches_requeue,
)
from invoices.models import ImportBatch, ImportStatus, Invoice
from invoices.tasks import run_import_batch
from organizations.models import ActivityLog
from tests.factories import CustomerFactory
from tests.spreadsheets import csv_bytes

pytestmark = pytest.mark.django_db

INVOICE_HEADER = ["number", "customer_ref", "issue_date", "due_date", "amount"]


def customers_file(count: int) -> bytes:
    return csv_bytes([["external_ref", "name"], *[[f"J-{n}", f"Job Customer {n}"] for n in range(count)]])


def uploaded(world, content: bytes, *, kind="customers", name="customers.csv") -> ImportBatch:
    return import_batch_create(organization=world.org_a, kind=kind, content=content, filename=name,
                               actor=world.owner_a.user)  # fmt: skip


def preview(client, world, batch, **headers):
    return client.get(reverse("imports:preview", args=[world.org_a.slug, batch.pk]), **headers)


def test_confirming_hands_the_file_to_a_job_and_the_page_follows_it(world, owner_a_client):
    batch = uploaded(world, customers_file(3))
    url = reverse("imports:confirm", args=[world.org_a.slug, batch.pk])

    response = owner_a_client.post(url, {"rows": 3})

    assert response.status_code == 302 and response.url.endswith(f"/imports/{batch.pk}/")
    batch.refresh_from_db()
    assert (batch.status, batch.confirmed_by, batch.expected_rows, batch.runs) == (
        ImportStatus.IMPORTING, world.owner_a.user, 3, 1)  # fmt: skip
    assert not Customer.objects.filter(external_ref__startswith="J-").exists()  # nothing before the job
    page = preview(owner_a_client, world, batch).content.decode()
    assert 'data-testid="import-progress"' in page and "Waiting for a worker" in page
    assert 'data-testid="import-confirm"' not in page  # no second confirmation while it imports

    run_import_batch(batch.pk)

    assert Customer.objects.filter(organization=world.org_a, external_ref__startswith="J-").count() == 3
    polled = preview(owner_a_client, world, batch, HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"  # finished: the poller reloads the page
    page = preview(owner_a_client, world, batch).content.decode()
    assert ": 3 new, 0 updated, 0 skipped." in page and "Open the customers" in page
    codes = list(
        ActivityLog.objects.filter(subject_id=batch.pk, code__startswith="import.")
        .order_by("id")
        .values_list("code", "actor_user")
    )
    assert codes == [("import.confirmed", world.owner_a.user.pk), ("import.completed", world.owner_a.user.pk)]


def test_the_progress_shows_the_rows_written(world, owner_a_client):
    batch = uploaded(world, customers_file(2))
    import_batch_queue(batch=batch, skip_invalid=False, expected_rows=2, actor=world.owner_a.user)
    _progress_writer(batch)("writing", 1250, 5000)  # what the job writes while it runs
    fragment = preview(owner_a_client, world, batch, HTTP_HX_REQUEST="true").content.decode()
    assert "Importing: 1,250 of 5,000 rows written." in fragment and 'value="25"' in fragment


def test_a_job_that_finds_the_data_changed_imports_nothing_and_says_why(world, owner_a_client):
    content = csv_bytes([INVOICE_HEADER, ["Q-1", "C-1", "2026-11-01", "2026-12-01", "10"],
                         ["Q-2", "NEW-1", "2026-11-01", "2026-12-01", "10"]])  # fmt: skip
    batch = uploaded(world, content, kind="invoices", name="invoices.csv")
    assert (batch.summary["valid"], batch.summary["invalid"]) == (1, 1)
    assert import_batch_queue(batch=batch, skip_invalid=True, expected_rows=1, actor=world.owner_a.user).queued
    CustomerFactory(organization=world.org_a, external_ref="NEW-1")  # meanwhile someone adds the customer

    run_import_batch(batch.pk)

    assert not Invoice.objects.filter(number__in=["Q-1", "Q-2"]).exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING and batch.summary["valid"] == 2  # the new preview
    page = preview(owner_a_client, world, batch).content.decode()
    assert "the data changed since the preview" in page and "Import 2 rows" in page
    assert ActivityLog.objects.filter(code="import.failed", subject_id=batch.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second writer holding a transaction open")
def test_a_clash_with_a_concurrent_writer_undoes_the_whole_import(world, owner_a_client):
    content = csv_bytes([INVOICE_HEADER, ["R-1", "C-1", "2026-11-01", "2026-12-01", "10"],
                         ["R-2", "C-1", "2026-11-01", "2026-12-01", "10"]])  # fmt: skip
    batch = uploaded(world, content, kind="invoices", name="invoices.csv")
    import_batch_queue(batch=batch, skip_invalid=False, expected_rows=2, actor=world.owner_a.user)
    inserted = threading.Event()

    def other_user():  # writes invoice R-2 and commits only once the import is writing (and waits on it)
        with transaction.atomic():
            Invoice.objects.create(organization=world.org_a, customer=world.a.customer, number="R-2",
                                   issue_date="2026-11-01", due_date="2026-12-01", amount=5, open_amount=5)  # fmt: skip
            inserted.set()
            time.sleep(2)
        connection.close()

    writer = threading.Thread(target=other_user)
    writer.start()
    assert inserted.wait(10)
    outcome = import_batch_run(batch_id=batch.pk)  # its check cannot; its insert waits, then clashes
    writer.join()

    assert outcome is not None and not outcome.imported
    assert not Invoice.objects.filter(number="R-1").exists()  # R-1 was written first, then undone
    assert Invoice.objects.get(number="R-2").amount == 5  # the other user's invoice
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING
    page = preview(owner_a_client, world, batch).content.decode()
    assert "Nothing was imported: the data changed while importing." in page


def test_an_unexpected_error_puts_the_batch_back_with_a_message(world, owner_a_client):
    batch = uploaded(world, customers_file(2))
    import_batch_queue(batch=batch, skip_invalid=False, expected_rows=2, actor=world.owner_a.user)
    batch.file.storage.delete(batch.file.name)  # the stored file is gone (a storage problem)

    run_import_batch(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING
    assert not Customer.objects.filter(external_ref__startswith="J-").exists()
    page = preview(owner_a_client, world, batch).content.decode()
    assert "Nothing was imported: the import stopped on an unexpected error." in page


def test_a_repeated_job_imports_once(world):
    batch = uploaded(world, customers_file(2))
    import_batch_queue(batch=batch, skip_invalid=False, expected_rows=2, actor=world.owner_a.user)
    assert import_batch_run(batch_id=batch.pk).imported
    assert import_batch_run(batch_id=batch.pk) is None  # a redelivered message, or the sweeper's
    assert Customer.objects.filter(external_ref__startswith="J-").count() == 2
    assert ActivityLog.objects.filter(code="import.completed", subject_id=batch.pk).count() == 1


def test_a_second_confirmation_while_importing_is_refused(world, owner_a_client):
    batch = uploaded(world, customers_file(1))
    url = reverse("imports:confirm", args=[world.org_a.slug, batch.pk])
    owner_a_client.post(url, {"rows": 1})
    response = owner_a_client.post(url, {"rows": 1}, follow=True)
    assert "This file is being imported" in response.content.decode()
    assert ImportBatch.objects.get(pk=batch.pk).runs == 1


def test_the_sweeper_hands_over_a_vanished_job_and_gives_up_after_a_few_runs(world, owner_a_client):
    batch = uploaded(world, customers_file(1))
    import_batch_queue(batch=batch, skip_invalid=False, expected_rows=1, actor=world.owner_a.user)
    assert import_batches_requeue() == []  # just queued: the worker has its message

    later = timezone.now() + LEASE + timedelta(minutes=1)
    assert import_batches_requeue(now=later) == [batch.pk]
    batch.refresh_from_db()
    assert (batch.status, batch.runs, batch.queued_at) == (ImportStatus.IMPORTING, 2, later)

    for run in range(batch.runs, MAX_RUNS):
        later += LEASE + timedelta(minutes=1)
        assert import_batches_requeue(now=later) == [batch.pk], run
    assert import_batches_requeue(now=later + LEASE + timedelta(minutes=1)) == []
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING
    assert "stopped before it finished, several times" in preview(owner_a_client, world, batch).content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks (SKIP LOCKED) are PostgreSQL's")
def test_the_sweeper_leaves_an_import_that_is_running_alone(world):
    batch = uploaded(world, customers_file(1))
    import_batch_queue(batch=batch, skip_invalid=False, expected_rows=1, actor=world.owner_a.user)
    locked, release = threading.Event(), threading.Event()

    def running_import():  # holds the batch's row lock, as import_batch_run does for its whole transaction
        with transaction.atomic():
            ImportBatch.objects.select_for_update().get(pk=batch.pk)
            locked.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=running_import)
    worker.start()
    try:
        assert locked.wait(10)
        assert import_batches_requeue(now=timezone.now() + LEASE * 2) == []
    finally:
        release.set()
        worker.join()
    assert import_batches_requeue(now=timezone.now() + LEASE * 2) == [batch.pk]


def test_a_sync_file_that_repeats_what_is_known_writes_only_the_changes(world, owner_a_client):
    first = uploaded(world, customers_file(3))
    import_batch_queue(batch=first, skip_invalid=False, expected_rows=3, actor=world.owner_a.user)
    run_import_batch(first.pk)
    again = csv_bytes([["external_ref", "name"], ["J-0", "Job Customer 0"], ["J-1", "Renamed Customer 1"],
                       ["J-2", "Job Customer 2"]])  # fmt: skip
    batch = uploaded(world, again)
    assert (batch.summary["new"], batch.summary["updated"], batch.summary["unchanged"]) == (0, 1, 2)
    page = preview(owner_a_client, world, batch).content.decode()
    assert 'data-testid="count-unchanged">2<' in page and "Import 3 rows" in page

    import_batch_queue(batch=batch, skip_invalid=False, expected_rows=3, actor=world.owner_a.user)
    run_import_batch(batch.pk)

    assert Customer.objects.get(organization=world.org_a, external_ref="J-1").name == "Renamed Customer 1"
    ours = Customer.objects.filter(organization=world.org_a, external_ref__startswith="J-").values("pk")
    updated = ActivityLog.objects.filter(code="customer.updated", subject_id__in=ours)
    assert [entry.data["changes"]["name"][1] for entry in updated] == ["Renamed Customer 1"]  # the others: no entry
    page = preview(owner_a_client, world, batch).content.decode()
    assert ": 0 new, 1 updated, 0 skipped." in page and "2 rows held what their records already had" in page
