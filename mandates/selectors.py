"""Reads for mandates and collection that other apps use (the follow-up engine)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from invoices.models import Invoice
from mandates.models import CollectionItem, DebitStatus, Mandate, MandateState


def waiting_for_collection_q() -> Q:
    """Invoices handed over to direct debit (on signing): the customer has a signed mandate under a profile that
    moves open invoices to collection when signed, the invoice is in euro and the bank never returned a debit for
    it (a returned invoice goes back to follow-up)."""
    signed = Mandate.objects.filter(
        customer_id=OuterRef("customer_id"), state=MandateState.SIGNED, profile__collect_on_signing=True
    )
    returned = CollectionItem.objects.filter(invoice_id=OuterRef("pk"), status=DebitStatus.RETURNED)
    return Q(currency="EUR") & Q(Exists(signed)) & ~Q(Exists(returned))


def collection_hold_q() -> Q:
    """Invoices the follow-up engine leaves alone because direct debit takes care of them: a debit is
    requested, or they wait for the next collection (see waiting_for_collection_q)."""
    return Q(collection_requested_at__isnull=False) | waiting_for_collection_q()


def held_for_collection_ids(invoice_ids: list[int]) -> set[int]:
    return set(Invoice.objects.filter(pk__in=invoice_ids).filter(collection_hold_q()).values_list("pk", flat=True))
