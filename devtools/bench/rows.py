"""Synthetic rows for the benchmark tenant, as plain tuples in a declared column order.

Pure Python and deterministic for a given seed, so the PostgreSQL path (COPY) and the SQLite path
(bulk_create) store the same data. Proportions aim at a realistic receivables book: most customers
have one or two contacts with a valid address, invoices span the last 18 months and about 40 % are paid.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

HISTORY_DAYS = 548  # 18 months of issue dates
NO_INVOICE_EVERY = 20  # every 20th customer has no invoices (5 %)

LANGUAGES = ("nl", "fr", "de", "en")
LANGUAGE_WEIGHTS = (25, 30, 15, 30)
COUNTRIES_BY_LANGUAGE = {
    "nl": (("BE", "BE", "BE", "NL", "NL"), ("Kerkstraat", "Dorpsstraat", "Stationsstraat")),
    "fr": (("BE", "FR"), ("Rue de la Gare", "Avenue Louise", "Rue du Moulin")),
    "de": (("DE", "DE", "DE", "DE", "BE"), ("Hauptstraße", "Bahnhofstraße", "Lindenweg")),
    "en": (("BE", "NL", "FR", "DE"), ("Market Street", "Station Road", "Mill Lane")),
}
CITIES = {
    "BE": (("1000", "Brussel"), ("2000", "Antwerpen"), ("9000", "Gent"), ("4000", "Liège"), ("4700", "Eupen")),
    "NL": (("1011", "Amsterdam"), ("3011", "Rotterdam"), ("3511", "Utrecht"), ("5611", "Eindhoven")),
    "FR": (("75001", "Paris"), ("69001", "Lyon"), ("59000", "Lille"), ("13001", "Marseille")),
    "DE": (("10115", "Berlin"), ("50667", "Köln"), ("52062", "Aachen"), ("80331", "München")),
}
FIRST_NAMES = {
    "nl": ("Jan", "Els", "Pieter", "Sanne", "Wouter", "An", "Bram", "Lotte"),
    "fr": ("Camille", "Julien", "Sophie", "Nicolas", "Léa", "Mathieu", "Chloé", "Hugo"),
    "de": ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Paul", "Mia"),
    "en": ("James", "Emma", "Oliver", "Amelia", "Harry", "Isla", "Jack", "Grace"),
}
LAST_NAMES = {
    "nl": ("Peeters", "Janssens", "De Vries", "Maes", "Jacobs", "Willems", "Claes", "Bakker"),
    "fr": ("Dubois", "Lambert", "Martin", "Leroy", "Moreau", "Laurent", "Simon", "Renard"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
    "en": ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Walker"),
}
COMPANY_WORDS = ("Atlas", "Delta", "Horizon", "Lumen", "Meridian", "Polder", "Schelde", "Nova", "Orion", "Quartz")
COMPANY_TRADES = ("Logistics", "Bouw", "Consult", "Foods", "Services", "Tech", "Immo", "Transport", "Print")
COMPANY_FORMS = {"BE": ("BV", "NV", "SRL"), "NL": ("B.V.", "N.V."), "FR": ("SARL", "SAS"), "DE": ("GmbH", "AG")}
PREFERENCES = ("default",) * 90 + ("email",) * 6 + ("post",) * 3 + ("sms",)
MANDATE_STATES = ("signed",) * 50 + ("invited",) * 10 + ("opened",) * 5 + ("signing",) * 3 + ("prepared",) * 7 + (
    "cancelled",
) * 10 + ("suspended",) * 3 + ("expired",) * 12  # fmt: skip
CURRENCIES = ("EUR",) * 97 + ("USD",) * 2 + ("GBP",)
TERMS = (14, 30, 30, 30, 60)

CUSTOMER_COLUMNS = (
    "external_ref", "name", "type", "language", "vat_number", "street", "postal_code", "city", "country",
    "account_manager_id", "follow_up_plan_id", "communication_preference",
)  # fmt: skip
CONTACT_COLUMNS = ("customer_id", "name", "email", "phone", "notify", "email_status", "email_status_detail")
MANDATE_COLUMNS = ("customer_id", "profile_id", "state", "reference", "public_id")
INVOICE_COLUMNS = ("customer_id", "number", "issue_date", "due_date", "amount", "open_amount", "currency", "status")

# (id, external_ref, type, language) of a stored customer, as contacts, mandates and invoices need it.
CustomerKey = tuple[int, str, str, str]

_LANGUAGE_CUMULATIVE = list(accumulate(LANGUAGE_WEIGHTS))


def customer_rows(
    *, count: int, rng: random.Random, manager_ids: Sequence[int], special_plan_id: int | None
) -> Iterator[tuple]:
    """`count` customers: 65 % companies; 60 % have an account manager; 5 % follow the special plan."""
    for index in range(1, count + 1):
        language = rng.choices(LANGUAGES, cum_weights=_LANGUAGE_CUMULATIVE)[0]
        countries, streets = COUNTRIES_BY_LANGUAGE[language]
        country = rng.choice(countries)
        postal_code, city = rng.choice(CITIES[country])
        is_company = rng.random() < 0.65
        if is_company:
            name = (
                f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)} {index} {rng.choice(COMPANY_FORMS[country])}"
            )
            vat_number = f"{country}0{rng.randrange(100_000_000, 999_999_999)}"
        else:
            name = f"{rng.choice(FIRST_NAMES[language])} {rng.choice(LAST_NAMES[language])} {index}"
            vat_number = ""
        manager = rng.choice(manager_ids) if manager_ids and rng.random() < 0.6 else None
        plan = special_plan_id if rng.random() < 0.05 else None
        yield (
            f"C{index:07d}", name, "company" if is_company else "person", language, vat_number,
            f"{rng.choice(streets)} {rng.randrange(1, 200)}", postal_code, city, country, manager, plan,
            rng.choice(PREFERENCES),
        )  # fmt: skip


def contact_rows(*, customers: Sequence[CustomerKey], rng: random.Random) -> Iterator[tuple]:
    """1-2 contacts per customer (5 % have none): ~85 % valid, some invalid, bounced or without address."""
    for customer_id, reference, customer_type, language in customers:
        roll = rng.random()
        if roll < 0.05:
            continue
        count = 2 if customer_type == "company" and roll > 0.65 else 1
        for position in range(count):
            first = rng.choice(FIRST_NAMES[language])
            yield _contact(rng, customer_id, f"{first}.{reference}.{position}".lower(), first)


def _contact(rng: random.Random, customer_id: int, local_part: str, first: str) -> tuple:
    roll = rng.random()
    phone = f"+32 470 {rng.randrange(100000, 999999)}"
    notify = rng.random() >= 0.08
    if roll < 0.85:
        return (customer_id, first, f"{local_part}@example.com", phone, notify, "valid", "")
    if roll < 0.91:
        return (customer_id, first, f"{local_part}example.com", phone, notify, "invalid", "")
    if roll < 0.96:
        detail = "550 5.1.1 mailbox unavailable"
        return (customer_id, first, f"{local_part}@example.com", phone, notify, "bounced", detail)
    return (customer_id, first, "", phone, notify, "none", "")


def mandate_rows(
    *, customers: Sequence[CustomerKey], rng: random.Random, core_profile_id: int, b2b_profile_id: int
) -> Iterator[tuple]:
    """Mandates for ~30 % of customers in various states; B2B only for companies."""
    sequence = 0
    for customer_id, _reference, customer_type, _language in customers:
        if rng.random() >= 0.3:
            continue
        profile = b2b_profile_id if customer_type == "company" and rng.random() < 0.4 else core_profile_id
        sequence += 1
        public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        yield (customer_id, profile, rng.choice(MANDATE_STATES), f"BENCH-{sequence:07d}", public_id)


def invoice_rows(*, customers: Sequence[CustomerKey], count: int, rng: random.Random, today: date) -> Iterator[tuple]:
    """`count` invoices over the customers that have invoices, skewed so a few customers have many."""
    active = [key[0] for index, key in enumerate(customers, start=1) if index % NO_INVOICE_EVERY]
    if not active:
        return
    days = [today - timedelta(days=offset) for offset in range(HISTORY_DAYS + 1)]
    size = len(active)
    for number in range(1, count + 1):
        offset = rng.randrange(HISTORY_DAYS + 1)
        terms = rng.choice(TERMS)
        cents = min(max(int(rng.lognormvariate(11.2, 1.0)), 500), 5_000_000)
        status, open_cents = _status(rng, cents, days_overdue=offset - terms)
        yield (
            active[int(size * rng.random() ** 1.6)], f"INV-{number:07d}", days[offset],
            days[offset] + timedelta(days=terms), Decimal(cents).scaleb(-2), Decimal(open_cents).scaleb(-2),
            rng.choice(CURRENCIES), status,
        )  # fmt: skip


def _status(rng: random.Random, cents: int, *, days_overdue: int) -> tuple[str, int]:
    """Status and open amount (in cents), consistent with each other; older invoices are paid more often.

    Most invoices are open, as in a receivables ledger synced for dunning (settled ones are archived): the
    follow-up bench (issue 4) needs 1,000,000 open invoices from `--invoices 1000000`.
    """
    if days_overdue < 0:
        paid_chance = 0.01
    elif days_overdue < 30:
        paid_chance = 0.03
    else:
        paid_chance = 0.05
    roll = rng.random()
    if roll < paid_chance:
        return "paid", 0
    roll = rng.random()
    if roll < 0.004:
        return "credited", 0
    if roll < 0.007 and days_overdue > 120:
        return "written_off", 0
    if roll < 0.02:
        return "disputed", cents
    if roll < 0.17:
        return "open", max(1, cents * rng.choice((1, 2, 3)) // 4)  # partly paid
    return "open", cents
