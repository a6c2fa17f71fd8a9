"""Benchmark: a 10,000-debit direct-debit batch, end to end through `batch_build`.

The scenario keeps its own organization (slug `bench-collection`, in the bench tenant) with 10,000 customers,
each with a signed mandate and one open invoice, so it does not depend on the generated data. Before each
run it undoes the previous run (batch, debits, queued pre-notifications, log entries, invoice marks); only
`batch_build` is timed: selecting, building and validating the pain.008, writing the debits, marking the
invoices, logging and queueing 10,000 pre-notifications.
"""

from __future__ import annotations

import time as clock
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from schwifty import IBAN

from customers.models import Customer
from devtools.bench.registry import BenchContext, Outcome, scenario
from invoices.models import Invoice
from mandates.collection import batch_build
from mandates.collection_selection import Selection
from mandates.messages import PRE_NOTIFICATION
from mandates.models import CollectionBatch, CollectionItem, Mandate, MandateProfile, MandateState, PainVersion
from messaging.models import Dispatch
from organizations.models import ActivityLog, Organization

SLUG = "bench-collection"
COUNT = 10_000
CHUNK = 2_000


def _organization(context: BenchContext) -> Organization:
    organization, _created = Organization.objects.get_or_create(
        slug=SLUG, defaults={"tenant": context.organization.tenant, "name": "Bench Collection", "country": "BE",
                             "time_zone": "Europe/Brussels"},
    )  # fmt: skip
    return organization


def _profile(organization: Organization) -> MandateProfile:
    profile, _created = MandateProfile.objects.get_or_create(
        organization=organization, name="Bench CORE",
        defaults={"creditor_name": "Bench Collection NV", "creditor_country": "BE",
                  "creditor_id": "BE69ZZZ050D000000008", "creditor_iban": "BE71096123456769",
                  "creditor_bic": "GKCCBEBB", "reference_prefix": "BENCH",
                  "pain_version": PainVersion.V08, "pre_notification_days": 5, "collect_on_signing": True},
    )  # fmt: skip
    return profile


def _amount(number: int) -> Decimal:
    return Decimal(number % 900 + 100) + Decimal("0.50")


@transaction.atomic
def collection_setup(context: BenchContext) -> tuple[Organization, MandateProfile]:
    """10,000 customers with a signed mandate and an open invoice each (created once)."""
    organization = _organization(context)
    profile = _profile(organization)
    existing = Customer.objects.filter(organization=organization).count()
    if existing >= COUNT:
        _analyze()
        return organization, profile
    signed_at = timezone.now() - timedelta(days=30)
    today = timezone.localdate()
    for start in range(existing, COUNT, CHUNK):
        numbers = range(start + 1, min(start + CHUNK, COUNT) + 1)
        customers = Customer.objects.bulk_create([
            Customer(organization=organization, external_ref=f"DD-{n:06d}", name=f"Debtor {n:06d} BV",
                     language=("nl", "fr", "de", "en")[n % 4], country="BE")
            for n in numbers
        ])  # fmt: skip
        Mandate.objects.bulk_create([
            Mandate(organization=organization, customer=customer, profile=profile, reference=f"BENCH-{n:06d}",
                    state=MandateState.SIGNED, debtor_name=customer.name, language=customer.language,
                    iban=str(IBAN.generate("DE", bank_code="37040044", account_code=f"{n:010d}")), signed_at=signed_at,
                    signature_method="typed_name", signer_name=customer.name)
            for n, customer in zip(numbers, customers, strict=True)
        ])  # fmt: skip
        Invoice.objects.bulk_create([
            Invoice(organization=organization, customer=customer, number=f"DD-2026-{n:06d}",
                    issue_date=today - timedelta(days=20), due_date=today + timedelta(days=10),
                    amount=_amount(n), open_amount=_amount(n))
            for n, customer in zip(numbers, customers, strict=True)
        ])  # fmt: skip
    _analyze()
    return organization, profile


def _analyze() -> None:
    """Fresh statistics, as autovacuum would have them: without, the planner expects one row per table."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("customers_customer", "mandates_mandate", "invoices_invoice", "mandates_collectionitem"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed table names


@transaction.atomic
def collection_reset(organization: Organization) -> None:
    """Undo earlier runs, so every run collects the same 10,000 invoices."""
    Dispatch.objects.filter(organization=organization, kind=PRE_NOTIFICATION).delete()
    CollectionItem.objects.filter(organization=organization).delete()
    CollectionBatch.objects.filter(organization=organization).delete()
    ActivityLog.objects.filter(organization=organization, code__startswith="invoice.collection").delete()
    ActivityLog.objects.filter(organization=organization, code__startswith="collection.").delete()
    Invoice.objects.filter(organization=organization).update(collection_requested_at=None)
    Mandate.objects.filter(organization=organization).update(first_collection_at=None, last_collection_at=None)


@scenario(
    "mandates.batch_10k",
    "Direct-debit batch of 10,000 debits through batch_build: select, pain.008 build + XSD, debits, invoice marks, "
    "log entries and 10,000 queued pre-notifications",
    target_ms=20_000,
    runs=3,
    warmups=0,
)
def batch_10k(context: BenchContext) -> Outcome:
    organization, profile = collection_setup(context)
    collection_reset(organization)
    started = clock.perf_counter()
    # The benchmark invoices fall due after the collection date: collect them anyway, as the option allows.
    batch = batch_build(
        organization=organization, profile=profile, selection=Selection(include_not_yet_due=True), actor=context.user
    )
    elapsed = (clock.perf_counter() - started) * 1000
    queued = Dispatch.objects.filter(organization=organization, kind=PRE_NOTIFICATION).count()
    if batch.item_count != COUNT or queued != COUNT:
        return Outcome(ok=False, reason=f"{batch.item_count} debits and {queued} pre-notifications, not {COUNT}")
    return Outcome(elapsed_ms=elapsed, extra={"debits": batch.item_count, "xml_bytes": len(batch.xml),
                                              "pre_notifications": queued})  # fmt: skip
