"""Reminders say how to pay: amount due, IBAN, BIC, payment reference and, for euro, the EPC QR code inline."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from email.mime.image import MIMEImage

import pytest
import zxingcpp
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from invoices.payment_details import epc_payload
from mailroom.models import StoredEmail
from messaging.delivery import deliver_many
from messaging.templating import render_text
from messaging.texts import sample_context, text_for
from organizations.bank_accounts import bank_account_save
from reminders.manual import reminder_send_now


@pytest.fixture
def euro_account(world):
    """Organization A's euro account (BE71 0961 2345 6769), with a holder name of its own."""
    return bank_account_save(
        organization=world.org_a, account=world.a.bank_account, data={"holder_name": "Acme Belgium NV"}
    )


def send(world, invoices, settings, backend="django.core.mail.backends.locmem.EmailBackend"):
    settings.EMAIL_BACKEND = backend
    dispatch = reminder_send_now(
        organization=world.org_a, invoice_ids=[i.pk for i in invoices], actor=world.owner_a.user
    )
    deliver_many(dispatch_ids=[dispatch.pk], now=timezone.now())
    dispatch.refresh_from_db()
    return dispatch


def decode(png: bytes) -> str:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text


def test_a_reminder_shows_amount_iban_bic_reference_and_the_qr_code_inline(world, euro_account, make_invoice, settings):
    world.org_a.country = "BE"
    world.org_a.save()
    invoice = make_invoice("2026-0142", date(2026, 10, 15), amount="1210.00")
    send(world, [invoice], settings)
    message = mail.outbox[-1]
    reference = (
        f"+++{invoice.payment_reference[:3]}/{invoice.payment_reference[3:7]}/{invoice.payment_reference[7:]}+++"
    )
    for text in (message.body, message.alternatives[0][0]):
        assert "BE71 0961 2345 6769" in text
        assert "GKCCBEBB" in text
        assert reference in text
        assert "1\u202f210,00\u00a0€" in text or "1 210,00 €" in text  # the debtor reads French
    assert "account stated on the invoice" not in message.body and "indiqué sur la facture" not in message.body
    images = [part for part in message.attachments if isinstance(part, MIMEImage)]
    assert len(images) == 1
    content_id = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in message.alternatives[0][0]
    assert decode(images[0].get_payload(decode=True)) == epc_payload(
        account=euro_account, amount=Decimal("1210.00"), reference=invoice.payment_reference
    )


def test_grouped_invoices_get_one_transfer_each_with_its_own_reference_and_code(
    world, euro_account, make_invoice, settings
):
    first = make_invoice("2026-0142", date(2026, 10, 15))
    second = make_invoice("2026-0188", date(2026, 10, 20))
    send(world, [first, second], settings)
    message = mail.outbox[-1]
    for invoice in (first, second):
        assert invoice.payment_reference_display in message.body
    images = [part for part in message.attachments if isinstance(part, MIMEImage)]
    assert sorted(decode(part.get_payload(decode=True)).split("\n")[-1] for part in images) == sorted(
        invoice.payment_reference_display for invoice in (first, second)
    )


def test_without_a_bank_account_the_block_is_left_out(world, make_invoice, settings):
    world.a.bank_account.delete()
    invoice = make_invoice("2026-0142", date(2026, 10, 15))
    send(world, [invoice], settings)
    message = mail.outbox[-1]
    assert "IBAN" not in message.body
    assert "\n\n\n" not in message.body
    assert not [part for part in message.attachments if isinstance(part, MIMEImage)]


def test_other_currencies_get_that_currencys_account_and_no_qr_code(world, euro_account, debtor, settings):
    from invoices.services import invoice_create

    bank_account_save(
        organization=world.org_a, data={"currency": "GBP", "iban": "GB33BUKB20201555555555", "bic": "BUKBGB22"}
    )
    invoice = invoice_create(
        organization=world.org_a,
        customer=debtor,
        number="UK-1",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 15),
        amount=Decimal("80.00"),
        currency="GBP",
    )
    send(world, [invoice], settings)
    message = mail.outbox[-1]
    assert "GB33 BUKB 2020 1555 5555 55" in message.body and "BUKBGB22" in message.body
    assert "BE71" not in message.body
    assert not [part for part in message.attachments if isinstance(part, MIMEImage)]


def test_the_outgoing_mail_page_shows_the_qr_code(world, euro_account, make_invoice, settings, owner_a_client):
    invoice = make_invoice("2026-0142", date(2026, 10, 15))
    send(world, [invoice], settings, backend="mailroom.backends.DatabaseEmailBackend")
    stored = StoredEmail.objects.filter(organization=world.org_a).latest("id")
    assert [a["mimetype"] for a in stored.attachments if a.get("content_id")] == ["image/png"]
    page = owner_a_client.get(
        reverse("mailroom:detail", kwargs={"organization_slug": world.org_a.slug, "pk": stored.pk})
    ).content.decode()
    assert "data:image/png;base64," in page


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_every_default_asking_for_payment_has_the_block_and_the_preview_shows_it(world, euro_account, language):
    for purpose in ("invoice", "pre_due", "reminder_1", "reminder_2", "final_notice", "payment_plan"):
        text = text_for(organization=world.org_a, purpose=purpose, language=language)
        assert "{payment_details}" in text.body, purpose
    body = render_text(
        text_for(organization=world.org_a, purpose="reminder_1", language=language).body,
        sample_context(organization=world.org_a, language=language),
    )
    assert "BE71 0961 2345 6769" in body


def test_the_templates_page_warns_when_there_is_no_bank_account(world, owner_a_client):
    world.a.bank_account.delete()
    url = reverse("templates:list", kwargs={"organization_slug": world.org_a.slug})
    assert 'data-testid="no-bank-account"' in owner_a_client.get(url).content.decode()
    bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "BE71096123456769"})
    assert 'data-testid="no-bank-account"' not in owner_a_client.get(url).content.decode()


def test_the_message_page_of_follow_up_shows_the_qr_code(world, euro_account, make_invoice, settings, owner_a_client):
    invoice = make_invoice("2026-0142", date(2026, 10, 15))
    dispatch = send(world, [invoice], settings)
    assert "cid:" in dispatch.html_body
    url = reverse("follow_up:dispatch", kwargs={"organization_slug": world.org_a.slug, "pk": dispatch.pk})
    page = owner_a_client.get(url).content.decode()
    assert "data:image/png;base64," in page and "cid:" not in page


def test_postmark_receives_the_qr_code_as_an_inline_attachment(world, euro_account, make_invoice, settings):
    import base64

    from tests.fake_esp import FakePostmark

    invoice = make_invoice("2026-0142", date(2026, 10, 15))
    with FakePostmark(lifetime=60) as esp:
        settings.ANYMAIL = esp.anymail_settings()
        send(world, [invoice], settings, backend="anymail.backends.postmark.EmailBackend")
    (accepted,) = esp.accepted
    (image,) = [item for item in accepted.attachments if item.get("ContentID")]
    assert image["ContentType"] == "image/png"
    assert f"cid:{image['ContentID'].strip('<>').removeprefix('cid:')}" in accepted.html_body
    assert invoice.payment_reference_display in decode(base64.b64decode(image["Content"]))
