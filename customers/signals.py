"""Signals the customer services send for higher layers (the follow-up engine); see invoices/signals.py."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `customer_ids` after a change that can move follow-up: plan, pause, country.
customers_changed = Signal()
