"""Signals other apps listen to, so mandates never imports them.

mandate_signed(sender=Mandate, mandate=…, actor=…): a mandate became signed (online, on paper or imported).
mandate_ended(sender=Mandate, mandate=…, actor=…): a signed mandate was cancelled, suspended or expired.
Sent on commit of the transaction that changed the state.
"""

from __future__ import annotations

from django.dispatch import Signal

mandate_signed = Signal()
mandate_ended = Signal()
