"""Signals the invoice services send so higher layers (the follow-up engine) can react, without this app
importing them. Receivers call one service; they hold no business rules."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `invoice_ids` after invoices were created or changed (amounts, dates, status, pause).
invoices_changed = Signal()
