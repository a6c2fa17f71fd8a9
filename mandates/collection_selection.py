"""Which invoices a direct-debit batch debits: the candidates under a profile, staff's selection (invoices not
yet due, excluded invoices and customers), the preview's totals, and why a previewed invoice was dropped.

Reads only; mandates.collection builds the batch from these candidates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from customers.models import Customer
from invoices.models import Invoice, InvoiceStatus
from mandates.models import CollectionItem, DebitStatus, Mandate, MandateProfile, MandateState
from organizations.models import Organization


def newest_signed_mandates(*, organization: Organization, profile: MandateProfile) -> dict[int, Mandate]:
    """Per customer, the newest signed mandate under this profile."""
    mandates = (
        Mandate.objects.filter(organization=organization, profile=profile, state=MandateState.SIGNED)
        .select_related("customer")
        .only(
            "pk",
            "customer_id",
            "reference",
            "debtor_name",
            "iban",
            "bic",
            "signed_at",
            "created_at",
            "customer__name",
            "customer__language",
        )
        .order_by("customer_id", "-signed_at", "-id")
    )
    newest: dict[int, Mandate] = {}
    for mandate in mandates:
        newest.setdefault(mandate.customer_id, mandate)
    return newest


def collectable_invoices(
    *,
    organization: Organization,
    profile: MandateProfile,
    invoice_ids: Iterable[int] | None = None,
    due_by: date | None = None,
) -> QuerySet:
    """Open euro invoices with something owed, not requested yet, of customers with a signed mandate here.

    An invoice the bank returned before goes back to follow-up; it is collected again only when it is
    picked explicitly (`invoice_ids`). With `due_by`, only invoices due on or before that day.
    """
    signed = Mandate.objects.filter(
        organization=organization, profile=profile, state=MandateState.SIGNED, customer_id=OuterRef("customer_id")
    )
    requested = CollectionItem.objects.filter(invoice_id=OuterRef("pk"), status=DebitStatus.REQUESTED)
    invoices = (
        Invoice.objects.filter(
            organization=organization,
            status=InvoiceStatus.OPEN,
            open_amount__gt=0,
            currency="EUR",
            collection_requested_at__isnull=True,
        )
        .filter(Exists(signed))
        .exclude(Exists(requested))
    )
    if due_by is not None:
        invoices = invoices.filter(due_date__lte=due_by)
    if invoice_ids is not None:
        return invoices.filter(pk__in=list(invoice_ids))
    returned = CollectionItem.objects.filter(invoice_id=OuterRef("pk"), status=DebitStatus.RETURNED)
    return invoices.exclude(Exists(returned))


@dataclass(frozen=True)
class Selection:
    """What staff chose for a batch: whether invoices not yet due come along, and what they left out.

    `invoice_ids` is the selection shown in a preview (None: everything collectable). Exclusions are invoice
    ids and customer ids; ids that match no candidate debit change nothing.
    """

    include_not_yet_due: bool = False
    invoice_ids: frozenset[int] | None = None
    exclude_invoices: frozenset[int] = frozenset()
    exclude_customers: frozenset[int] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        include_not_yet_due: bool = False,
        invoice_ids: Iterable[int] | None = None,
        exclude_invoices: Iterable[int] = (),
        exclude_customers: Iterable[int] = (),
    ) -> Selection:
        return cls(
            include_not_yet_due=include_not_yet_due,
            invoice_ids=None if invoice_ids is None else frozenset(invoice_ids),
            exclude_invoices=frozenset(exclude_invoices),
            exclude_customers=frozenset(exclude_customers),
        )

    def exclusion(self, invoice: Invoice) -> str:
        """ "invoice" when staff left out this invoice, "customer" when its whole customer, else ""."""
        if invoice.pk in self.exclude_invoices:
            return "invoice"
        return "customer" if invoice.customer_id in self.exclude_customers else ""


@dataclass
class Candidate:
    """One debit a batch would hold: the invoice, the customer's newest signed mandate, FRST or RCUR."""

    invoice: Invoice
    mandate: Mandate
    sequence_type: str
    exclusion: str = ""  # "invoice": staff left out this invoice; "customer": its whole customer

    @property
    def excluded(self) -> bool:
        return bool(self.exclusion)


def candidates_for(*, organization, profile, collection_date: date, selection: Selection) -> list[Candidate]:
    mandates = newest_signed_mandates(organization=organization, profile=profile)
    due_by = None if selection.include_not_yet_due else collection_date
    invoices = (
        collectable_invoices(
            organization=organization, profile=profile, invoice_ids=selection.invoice_ids, due_by=due_by
        )
        .only("pk", "number", "open_amount", "currency", "customer_id", "due_date")
        .order_by("customer_id", "due_date", "id")
    )
    first = first_collection_mandates([m.pk for m in mandates.values()]) if profile.use_frst else set()
    candidates = []
    for invoice in invoices:
        mandate = mandates[invoice.customer_id]
        sequence = "FRST" if mandate.pk in first else "RCUR"
        candidates.append(Candidate(invoice, mandate, sequence, exclusion=selection.exclusion(invoice)))
    return candidates


@dataclass
class SequenceTotal:
    sequence_type: str
    count: int
    total: Decimal


@dataclass
class Preview:
    """Every debit a batch would hold (excluded ones flagged), with totals of what will be debited."""

    collection_date: date
    earliest_date: date
    include_not_yet_due: bool
    candidates: list[Candidate] = field(default_factory=list)
    not_yet_due: int = 0  # collectable invoices due after the collection date, left out (option off)
    excluded_customers: frozenset[int] = frozenset()

    @property
    def debits(self) -> list[Candidate]:
        return [candidate for candidate in self.candidates if not candidate.excluded]

    @property
    def count(self) -> int:
        return len(self.debits)

    @property
    def total(self) -> Decimal:
        return sum((candidate.invoice.open_amount for candidate in self.debits), Decimal("0"))

    @property
    def customers(self) -> int:
        return len({candidate.invoice.customer_id for candidate in self.debits})

    @property
    def excluded_count(self) -> int:
        return len(self.candidates) - self.count

    @property
    def by_sequence(self) -> list[SequenceTotal]:
        totals = {kind: SequenceTotal(kind, 0, Decimal("0")) for kind in ("FRST", "RCUR")}
        for candidate in self.debits:
            totals[candidate.sequence_type].count += 1
            totals[candidate.sequence_type].total += candidate.invoice.open_amount
        return list(totals.values())

    @property
    def by_customer(self) -> list[tuple[Customer, bool, list[Candidate]]]:
        """(customer, customer excluded, debits) in customer order, for the preview table."""
        groups: dict[int, list[Candidate]] = defaultdict(list)
        for candidate in self.candidates:
            groups[candidate.invoice.customer_id].append(candidate)
        return [
            (group[0].mandate.customer, group[0].invoice.customer_id in self.excluded_customers, group)
            for group in groups.values()
        ]


def first_collection_mandates(mandate_ids: list[int]) -> set[int]:
    """Mandates never collected: no first collection date and no earlier requested or paid debit."""
    collected = set(
        CollectionItem.objects.filter(mandate_id__in=mandate_ids, status__in=[DebitStatus.REQUESTED, DebitStatus.PAID])
        .values_list("mandate_id", flat=True)
        .distinct()
    )
    never = Mandate.objects.filter(pk__in=mandate_ids, first_collection_at__isnull=True)
    return set(never.values_list("pk", flat=True)) - collected


class DropReason:
    """Why an invoice of the previewed selection was left out when the batch was created."""

    CLOSED = "closed"  # paid, credited or written off meanwhile
    REQUESTED = "requested"  # another batch requested it meanwhile
    NOT_YET_DUE = "not_yet_due"  # due after the collection date (option off)
    NO_MANDATE = "no_mandate"  # no signed mandate under the profile any more, or otherwise not collectable


def drop_reason_label(reason: str) -> str:
    labels = {
        DropReason.CLOSED: _("paid or closed meanwhile"),
        DropReason.REQUESTED: _("already in another batch"),
        DropReason.NOT_YET_DUE: _("not yet due on the collection date"),
    }
    return str(labels.get(reason, _("no longer collectable")))


def dropped_invoices(*, organization, selection: Selection, candidates: list[Candidate], collection_date: date) -> list:
    """The previewed invoices that are no longer collectable, each with its number and why."""
    if selection.invoice_ids is None:
        return []
    missing = selection.invoice_ids - {candidate.invoice.pk for candidate in candidates}
    invoices = Invoice.objects.filter(organization=organization, pk__in=missing).order_by("number", "pk")
    invoices = invoices.only("pk", "number", "status", "open_amount", "collection_requested_at", "due_date")
    return [
        {"invoice": invoice.pk, "number": invoice.number, "reason": _drop_reason(invoice, collection_date, selection)}
        for invoice in invoices
    ]


def _drop_reason(invoice: Invoice, collection_date: date, selection: Selection) -> str:
    if invoice.status != InvoiceStatus.OPEN or invoice.open_amount <= 0:
        return DropReason.CLOSED
    if invoice.collection_requested_at is not None:
        return DropReason.REQUESTED
    if not selection.include_not_yet_due and invoice.due_date > collection_date:
        return DropReason.NOT_YET_DUE
    return DropReason.NO_MANDATE
