"""One English word, several meanings: each status reads right in every language (pgettext contexts)."""

from __future__ import annotations

from django.utils import translation

from campaigns.models import CampaignStatus
from invoices.models import InvoiceStatus
from mandates.models import BatchStatus, DebitStatus
from reminders.models import TaskStatus


def labels(language: str, *members) -> list[str]:
    with translation.override(language):
        return [str(member.label) for member in members]


def test_an_open_campaign_is_not_an_outstanding_invoice():
    assert labels("nl", InvoiceStatus.OPEN, CampaignStatus.OPEN) == ["Openstaand", "Open"]


def test_a_paid_batch_agrees_with_its_gender_in_french():
    assert labels("fr", InvoiceStatus.PAID, BatchStatus.PAID, DebitStatus.PAID) == ["Payée", "Payé", "Payé"]


def test_a_done_task_reads_as_a_finished_task():
    assert labels("fr", TaskStatus.DONE) == ["Terminée"]
    assert labels("nl", TaskStatus.DONE) == ["Afgerond"]
