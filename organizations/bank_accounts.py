"""The organization's bank accounts: checking IBAN and BIC (schwifty), saving, removing, choosing the default.

`bank_account_for(organization=..., currency="EUR")` is the account debtors are asked to pay into.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations import banking
from organizations.models import BankAccount, Organization
from organizations.services import Actor, log_action

_CURRENCY_SHAPE = re.compile(r"[A-Z]{3}")
FIELDS = ("currency", "iban", "bic", "holder_name", "is_default")


def clean_iban(value: str) -> str:
    """The IBAN upper-case without spaces; ValidationError saying what is wrong with it."""
    try:
        return banking.check_iban(value)
    except banking.AccountError as error:
        raise ValidationError(error.message, code=error.code) from None


def clean_bic(value: str) -> str:
    """The BIC (8 or 11 characters) upper-case, or "" when empty; unknown but well-formed BICs pass."""
    try:
        return banking.check_bic(value)
    except banking.AccountError as error:
        raise ValidationError(error.message, code=error.code) from None


def _clean(organization: Organization, account: BankAccount | None, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for name, cleaner in (("iban", clean_iban), ("bic", clean_bic)):
        if name in data:
            try:
                cleaned[name] = cleaner(data[name])
            except ValidationError as error:
                errors[name] = error.messages
    if "currency" in data:
        cleaned["currency"] = (data["currency"] or "").strip().upper()
        if not _CURRENCY_SHAPE.fullmatch(cleaned["currency"]):
            errors["currency"] = [_("Enter a three-letter currency code such as EUR.")]
    if "holder_name" in data:
        cleaned["holder_name"] = (data["holder_name"] or "").strip()[:70]
    # The effective IBAN and currency after the change: a PATCH of the currency alone can clash too.
    if not errors and ("iban" in cleaned or "currency" in cleaned):
        currency = cleaned.get("currency", account.currency if account else "EUR")
        iban = cleaned.get("iban", account.iban if account else "")
        clash = BankAccount.objects.filter(organization=organization, currency=currency, iban=iban)
        if clash.exclude(pk=account.pk if account else None).exists():
            errors["iban"] = [_("This account is already listed for %(currency)s.") % {"currency": currency}]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def bank_account_save(
    *, organization: Organization, account: BankAccount | None = None, data: dict[str, Any], actor: Actor = None
) -> BankAccount:
    """Add an account (account=None) or change one. The first account of a currency becomes its default;
    making one the default takes it from the others of that currency. Raises ValidationError per field."""
    cleaned = _clean(organization, account, {k: v for k, v in data.items() if k in FIELDS})
    created = account is None
    account = account or BankAccount(organization=organization)
    before = {name: getattr(account, name) for name in FIELDS}
    for name, value in cleaned.items():
        setattr(account, name, value)
    if account.pk and before["currency"] != account.currency and "is_default" not in cleaned:
        # Moving to another currency does not take that currency's default unless asked (or it has none).
        account.is_default = False
    if not account.bic:
        account.bic = banking.bic_for_iban(account.iban)
    siblings = BankAccount.objects.select_for_update().filter(organization=organization, currency=account.currency)
    siblings = siblings.exclude(pk=account.pk) if account.pk else siblings
    if not siblings.filter(is_default=True).exists():
        account.is_default = True
    elif account.is_default:
        siblings.filter(is_default=True).update(is_default=False)
    account.save()
    if before["is_default"] and before["currency"] != account.currency:
        _promote_oldest(organization, before["currency"])
    changes = {n: [str(before[n]), str(getattr(account, n))] for n in FIELDS if before[n] != getattr(account, n)}
    if created:
        log_action(
            organization=organization,
            subject=account,
            code="bank_account.created",
            actor=actor,
            data={"iban": account.iban, "bic": account.bic, "currency": account.currency},
        )
    elif changes:
        log_action(
            organization=organization,
            subject=account,
            code="bank_account.updated",
            actor=actor,
            data={"changes": changes},
        )
    return account


@transaction.atomic
def bank_account_delete(*, account: BankAccount, actor: Actor = None) -> None:
    """Remove an account; when it was its currency's default, the oldest remaining one takes over."""
    organization = account.organization
    log_action(
        organization=organization,
        subject=organization,
        code="bank_account.deleted",
        actor=actor,
        data={"iban": account.iban, "currency": account.currency},
    )
    was_default, currency = account.is_default, account.currency
    account.delete()
    if was_default:
        _promote_oldest(organization, currency)


def _promote_oldest(organization: Organization, currency: str) -> None:
    """The oldest account of `currency` becomes its default (its default was removed or moved)."""
    successor = BankAccount.objects.filter(organization=organization, currency=currency).order_by("id").first()
    if successor is not None:
        BankAccount.objects.filter(pk=successor.pk).update(is_default=True)


def bank_accounts_list(*, organization: Organization):
    return BankAccount.objects.filter(organization=organization).select_related("organization")


def bank_account_for(*, organization: Organization, currency: str) -> BankAccount | None:
    """The account debtors pay invoices in `currency` into: that currency's default, else None."""
    accounts = BankAccount.objects.filter(organization=organization, currency=currency.upper())
    return accounts.select_related("organization").order_by("-is_default", "id").first()
