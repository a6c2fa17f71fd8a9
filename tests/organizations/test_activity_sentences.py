"""Every activity code the code base logs reads as a sentence in the reader's language, values formatted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from customers.models import BulkJobStatus
from invoices.models import InvoiceStatus
from mandates.models import MandateState
from messaging.kinds import HANDLERS
from messaging.models import DispatchStatus
from organizations.activity import ACTIVITY_LABELS, describe, summarize
from organizations.services import log_action

ROOT = Path(__file__).resolve().parents[2]
# A quoted dotted code (or an f-string one) on a line that mentions `code`.
CODE_LITERAL = re.compile(r'f?"([a-z_{}.]+\.[a-z_{}.]+)"')
CODE_MENTION = re.compile(r'\bcode\b\s*(=|or\b)|"code":')
# Outcomes a dispatch can finish with (`messaging.delivery.finish`): not the states before sending.
BEFORE_SENDING = (DispatchStatus.QUEUED, DispatchStatus.SENDING, DispatchStatus.AWAITING_APPROVAL)
OUTCOMES = [s.value for s in DispatchStatus if s not in BEFORE_SENDING]
# Kinds whose outcomes messaging logs as "<kind>.<status>" (follow-up books its own on the invoices).
HANDLED_KINDS = [kind for kind, handler in HANDLERS.items() if handler.on_finished is None]
# How each f-string code expands; a new f-string code fails the test until it is listed here.
EXPANSIONS = {
    "{dispatch.kind}.sent": [f"{kind}.sent" for kind in HANDLED_KINDS],
    "{dispatch.kind}.{status}": [f"{kind}.{status}" for kind in HANDLED_KINDS for status in OUTCOMES],
    "invoice.dispatch_{status}": [f"invoice.dispatch_{status}" for status in OUTCOMES if status != "sent"],
    "invoice.{status}": [f"invoice.{status}" for status in InvoiceStatus.values],
    "bulk_job.{status}": [f"bulk_job.{status}" for status in (BulkJobStatus.DONE, BulkJobStatus.FAILED)],
    "mandate.{to}": [f"mandate.{state}" for state in MandateState.values],
}
# Every key the code base stores, with realistic values (booleans, ids, nested changes, lists, None).
SAMPLE_DATA = {
    "amount": "1234.50",
    "currency": "EUR",
    "open_amount": "0.00",
    "total": "99.90",
    "paid_on": "2026-03-01",
    "until": "2026-04-30",
    "collection_date": "2026-03-05",
    "method": "bank_transfer",
    "status": "paid",
    "from": "open",
    "to": "paid",
    "reason": "Agreed by phone",
    "reference": "+++090/9337/55493+++",
    "dispatch": 136,
    "step": "Second reminder",
    "subject": "Your invoices",
    "notify": False,
    "created": True,
    "name": "Acme",
    "email": "jan@example.com",
    "contact": "Jan Peeters",
    "file": "klanten.csv",
    "rows": 12,
    "kind": "customers",
    "format": "xlsx",
    "new": 3,
    "updated": 2,
    "unchanged": 1,
    "skipped": 0,
    "purpose": "reminder_1",
    "language": "nl",
    "fallback": "letter",
    "steps": ["-3 E-mail", "+7 Task for a person"],
    "changes": {"due_date": ["2026-01-01", "2026-02-01"], "follow_up_paused": ["False", "True"], "name": ["A", "B"]},
    "task": "Call the customer",
    "payment": 4,
    "batch": 7,
    "debits": 5,
    "invitations": 9,
    "customers": 40,
    "succeeded": 39,
    "failed": 1,
    "action": "assign_account_manager",
    "filter": "status=open",
    "mandate": "MD-1",
    "profile": "Core",
    "campaign": "Spring",
    "reason_code": "AC04",
    "end_to_end_id": "E2E-1",
    "invoices": 3,
    "account_manager": "Eva",
    "follow_up_plan": None,
    "scope": "read",
    "prefix": "ab12cd34",
    "number": "F-1",
    "detail": "550 mailbox unavailable",
    "some_new_flag": True,
    "nested": {"inner_key": False},
}


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "var", "node_modules"} or "migrations" in relative.parts:
            continue
        for line in path.read_text().splitlines():
            if CODE_MENTION.search(line):
                found.update(CODE_LITERAL.findall(line))
    return found


def all_codes() -> set[str]:
    codes: set[str] = set()
    for code in codes_in_source():
        if "{" in code:
            assert code in EXPANSIONS, f"list how the f-string code {code!r} expands in EXPANSIONS"
            codes.update(EXPANSIONS[code])
        else:
            codes.add(code)
    return codes


def test_the_scan_finds_the_codes_we_know():
    codes = all_codes()
    assert {"invoice.payment_recorded", "mandate.signed", "mandate_invitation.sent", "task.done"} <= codes
    assert len(codes) > 80


@pytest.mark.parametrize("code", sorted(all_codes()))
@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_every_logged_code_has_a_sentence_without_raw_data(code, language):
    assert code in ACTIVITY_LABELS, f"register a sentence for {code!r} (organizations/activity.py)"
    with translation.override(language):
        for data in (SAMPLE_DATA, {}):
            text = describe(code, data) + " " + summarize(code, data)
            assert not re.search(r"[{}_]|True|False|None|%\(", text), text
            assert "dispatch" not in text.lower()


def test_unknown_codes_read_as_a_sentence():
    text = describe("invoice.dispatch_postponed", {"until": "2026-05-01", "approved_by": True})
    assert text == "Invoice: dispatch postponed"
    assert summarize("invoice.dispatch_postponed", {"until": "2026-05-01", "approved_by": True}) == (
        "Until: 5/1/2026 · Approved by: yes"
    )


@pytest.mark.django_db
def test_a_payment_reads_in_the_readers_language(world):
    data = {
        "amount": "1234.5",
        "currency": "EUR",
        "paid_on": "2026-03-01",
        "method": "bank_transfer",
        "reference": "",
        "open_amount": "0.00",
        "status": "paid",
    }
    entry = log_action(organization=world.org_a, subject=world.a.customer, code="invoice.payment_recorded", data=data)
    with translation.override("en"):
        assert entry.describe() == "Payment of €1,234.50 recorded (Bank transfer, paid on 3/1/2026)"
        assert entry.details() == "Still owed: €0.00 · Status: Paid"
    with translation.override("nl"):
        assert entry.describe() == "Betaling van €\xa01.234,50 geregistreerd (Overschrijving, betaald op 01-03-2026)"


@pytest.mark.django_db
def test_changes_name_fields_and_format_their_values(world):
    entry = log_action(
        organization=world.org_a,
        subject=world.a.customer,
        code="invoice.updated",
        data={"changes": {"due_date": ["2026-01-01", "2026-02-01"], "follow_up_paused": ["False", "True"]}},
    )
    with translation.override("en"):
        assert entry.details() == "Due date: 1/1/2026 → 2/1/2026 · Follow-up paused: no → yes"
