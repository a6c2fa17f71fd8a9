"""Which text a message uses: the organization's own template, else the system default file.

System defaults live in messaging/defaults/<language>/<purpose>.txt ("Subject: …", a blank line, the body).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from invoices import references
from invoices.models import Invoice
from invoices.payment_details import payment_details
from messaging.models import MessageTemplate
from messaging.templating import InvoiceLine, MessageContext, validate_text
from organizations.models import Organization
from organizations.services import Actor, log_action

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Text:
    subject: str
    body: str
    language: str
    is_custom: bool


@lru_cache(maxsize=128)
def system_default(purpose: str, language: str) -> Text | None:
    path = DEFAULTS_DIR / language / f"{purpose}.txt"
    if not path.exists():
        return None
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    subject = head.removeprefix("Subject:").strip()
    return Text(subject=subject, body=body.strip() + "\n", language=language, is_custom=False)


def text_for(*, organization: Organization, purpose: str, language: str) -> Text:
    """The organization's text in the debtor's language, else the system default, else English."""
    languages = list(dict.fromkeys([language, organization.default_language, FALLBACK_LANGUAGE]))
    own = MessageTemplate.objects.filter(organization=organization, purpose=purpose, language__in=languages)
    customs = {template.language: template for template in own}  # one read instead of one per language
    for candidate in languages:
        custom = customs.get(candidate)
        if custom:
            return Text(custom.subject, custom.body, candidate, is_custom=True)
        default = system_default(purpose, candidate)
        if default:
            return default
    return Text(subject="", body="", language=language, is_custom=False)


@transaction.atomic
def template_save(
    *, organization: Organization, purpose: str, language: str, subject: str, body: str, actor: Actor
) -> MessageTemplate:
    validate_text(subject)
    validate_text(body)
    template, created = MessageTemplate.objects.update_or_create(
        organization=organization, purpose=purpose, language=language,
        defaults={"subject": subject, "body": body,
                  "updated_by": actor if getattr(actor, "is_authenticated", False) else None},
    )  # fmt: skip
    log_action(organization=organization, subject=template, code="template.saved", actor=actor,
               data={"purpose": purpose, "language": language, "created": created})  # fmt: skip
    return template


@transaction.atomic
def template_reset(*, organization: Organization, purpose: str, language: str, actor: Actor) -> None:
    """Drop the organization's own text so the system default applies again."""
    template = MessageTemplate.objects.filter(organization=organization, purpose=purpose, language=language).first()
    if template:
        log_action(organization=organization, subject=organization, code="template.reset", actor=actor,
                   data={"purpose": purpose, "language": language})  # fmt: skip
        template.delete()


def _sample_payments(organization: Organization, language: str, today) -> list:
    """How to pay the two sample invoices, with the organization's real account and sample references."""
    samples = [("2026-0142", 142, Decimal("1210.00")), ("2026-0188", 188, Decimal("484.50"))]
    invoices = [
        Invoice(
            id=pk,
            organization=organization,
            number=number,
            issue_date=today,
            due_date=today,
            amount=amount,
            open_amount=amount,
            currency=organization.currency,
            payment_reference=references.generate(organization.reference_format, pk),
        )
        for number, pk, amount in samples
    ]
    return payment_details(organization=organization, invoices=invoices, language=language)


def sample_context(*, organization: Organization, language: str) -> MessageContext:
    """Realistic sample data for previews: two overdue invoices of an invented customer."""
    today = timezone.localdate(timezone=organization.zone)
    return MessageContext(
        customer_name="Lumen Design SRL", customer_reference="C-1042", contact_name="Camille Dubois",
        organization_name=organization.sender_name or organization.name,
        organization_email=organization.reply_to_email or organization.sender_email or "finance@example.com",
        organization_address=organization.address, organization_vat=organization.vat_number, language=language,
        country=organization.country, time_zone=organization.time_zone,
        signing_link=settings.SITE_URL.rstrip("/") + "/sign/sample-link/", creditor_name=organization.name,
        invoices=[
            InvoiceLine("2026-0142", today - timedelta(days=23), 23, Decimal("1210.00"), organization.currency),
            InvoiceLine("2026-0188", today - timedelta(days=9), 9, Decimal("484.50"), organization.currency),
        ],
        collection_date=today + timedelta(days=14), mandate_reference="MNDT-000042",
        creditor_id="BE69ZZZ050D000000008", signed_at=timezone.now(),
        payments=_sample_payments(organization, language, today),
    )  # fmt: skip
