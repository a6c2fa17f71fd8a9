"""The debtor's journey through the public signing page, from the link to the signed copy in their inbox."""

from __future__ import annotations

import io

import pypdf
from django.core.management import call_command

from mailroom.models import StoredEmail
from mandates.models import MandateDocument, MandateState
from messaging.kinds import concerning
from messaging.models import Dispatch, DispatchStatus
from organizations.models import ActivityLog
from tests.mandates.conftest import SIGNING_DATA


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def codes(mandate) -> list[str]:
    return list(ActivityLog.objects.filter(subject_id=mandate.pk, code__startswith="mandate")
                .order_by("id").values_list("code", flat=True))  # fmt: skip


def test_opening_the_link_shows_the_creditor_and_records_opened_once(client, prepared, sign_url):
    response = client.get(sign_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme NV" in page and "BE68ZZZ0123456789" in page and prepared.reference in page
    # The mandate is in Dutch (the customer's language): the legal text too.
    assert "Door ondertekening van dit mandaatformulier" in page and "8 weken" in page
    client.get(sign_url)
    prepared.refresh_from_db()
    assert prepared.state == MandateState.OPENED and prepared.opened_at is not None
    assert codes(prepared) == ["mandate.prepared", "mandate.opened"]


def test_the_first_interaction_records_signing_started(client, prepared, sign_url):
    client.get(sign_url)
    assert client.post(f"{sign_url}started/").status_code == 204
    client.post(f"{sign_url}started/")
    prepared.refresh_from_db()
    assert prepared.state == MandateState.SIGNING
    assert codes(prepared) == ["mandate.prepared", "mandate.opened", "mandate.signing"]


def test_two_requests_racing_to_start_signing_both_succeed(client, prepared, sign_url):
    """The page's first-interaction ping and the submit of the form arrive together: both read "opened", one
    moves the mandate on, and the other must not answer the debtor with a server error (it did: TransitionError)."""
    from mandates.models import Mandate
    from mandates.services import mandate_record_signing_started

    client.get(sign_url)
    first, second = Mandate.objects.get(pk=prepared.pk), Mandate.objects.get(pk=prepared.pk)
    mandate_record_signing_started(mandate=first)
    assert second.state == MandateState.OPENED  # read before the first request moved it on
    mandate_record_signing_started(mandate=second)
    assert second.state == MandateState.SIGNING and second.signing_started_at == first.signing_started_at
    # The signing page goes on as usual for the late request.
    response = client.post(sign_url, SIGNING_DATA)
    assert response.status_code == 302
    assert codes(prepared) == ["mandate.prepared", "mandate.opened", "mandate.signing", "mandate.signed"]


def test_signing_stores_the_signature_the_pdf_and_mails_the_signed_copy(client, world, prepared, sign_url):
    client.get(sign_url)
    response = client.post(sign_url, SIGNING_DATA, HTTP_USER_AGENT="Mozilla/5.0 (iPhone)", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302 and response["Location"].startswith(f"{sign_url}thanks/")

    prepared.refresh_from_db()
    assert prepared.state == MandateState.SIGNED
    assert prepared.iban == "BE71096123456769" and prepared.bic == "GKCCBEBB"  # BIC derived from the IBAN
    assert prepared.signer_name == "Jeanne Peeters" and prepared.signature_method == "typed_name"
    assert prepared.signed_ip == "203.0.113.9" and prepared.signed_user_agent == "Mozilla/5.0 (iPhone)"
    assert codes(prepared) == ["mandate.prepared", "mandate.opened", "mandate.signing", "mandate.signed"]
    # The customer's timeline shows it too.
    assert ActivityLog.objects.filter(related_customer_id=prepared.customer_id, code="mandate.signed").exists()

    document = MandateDocument.objects.get(mandate=prepared)
    text = pdf_text(bytes(document.pdf))
    assert prepared.reference in text and "BE71096123456769" in text and "BE68ZZZ0123456789" in text
    assert "SEPA" in text and "8 weken" in text  # Dutch legal text with the refund right

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and b"download-pdf" in thanks.content
    download = client.get(f"{sign_url}pdf/")
    assert download["Content-Type"] == "application/pdf" and download.content == bytes(document.pdf)

    dispatch = Dispatch.objects.get(organization=world.org_a, dedupe_key=f"mandate-signed:{prepared.pk}")
    assert dispatch.status == DispatchStatus.QUEUED and dispatch.kind == "mandate_signed"
    call_command("run_followups", stdout=io.StringIO())
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.SENT, dispatch.reason
    email = StoredEmail.objects.get(to=["jeanne@example.be"])
    assert email.attachments == [
        {"filename": f"mandate-{prepared.reference}.pdf", "mimetype": "application/pdf", "size": len(document.pdf)}
    ]
    assert "Acme" in email.subject
    assert ActivityLog.objects.filter(subject_id=prepared.pk, code="mandate_signed.sent").exists()


def test_signing_twice_is_impossible(client, prepared, sign_url):
    assert client.post(sign_url, SIGNING_DATA).status_code == 302
    again = client.post(sign_url, {**SIGNING_DATA, "iban": "DE89370400440532013000"})
    assert again.status_code == 200 and b"link-signed" in again.content
    prepared.refresh_from_db()
    assert prepared.iban == "BE71096123456769"
    assert MandateDocument.objects.filter(mandate=prepared).count() == 1
    assert Dispatch.objects.filter(concerning(prepared)).count() == 1


def test_a_signed_copy_for_a_mandate_cancelled_meanwhile_is_skipped(client, world, english_staff, prepared, sign_url):
    from mandates.services import mandate_cancel

    client.post(sign_url, SIGNING_DATA)
    mandate_cancel(mandate=prepared, reason="Signed by mistake", actor=world.owner_a.user)
    call_command("run_followups", stdout=io.StringIO())
    dispatch = Dispatch.objects.get(concerning(prepared))
    assert dispatch.status == DispatchStatus.SKIPPED and "no longer signed" in dispatch.reason
    assert not StoredEmail.objects.filter(to=["jeanne@example.be"]).exists()


def test_the_debtor_can_decline_with_a_reason(client, prepared, sign_url):
    client.get(sign_url)
    assert client.get(f"{sign_url}decline/").status_code == 200
    response = client.post(f"{sign_url}decline/", {"reason": "Ik betaal liever per overschrijving"})
    assert response.status_code == 200 and b'data-testid="declined"' in response.content
    prepared.refresh_from_db()
    assert prepared.state == MandateState.CANCELLED and prepared.declined_at is not None
    assert prepared.cancel_reason == "Ik betaal liever per overschrijving"
    assert "mandate.declined" in codes(prepared)
    assert client.get(sign_url).status_code == 410
