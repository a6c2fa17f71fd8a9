"""python manage.py seed_demo: the demo tenant, idempotently.

Tenant "Demo" (organizations demo-be and demo-nl, an owner, a finance member and an account manager,
about 200 customers and 1,000 invoices) and tenant "Other" (organization other, with business keys that
collide with demo-be on purpose, so isolation is visible). Running it again changes nothing.
The password comes from DEMO_PASSWORD, else from var/demo-password (created once, random).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN

from customers.models import Customer, CustomerType
from customers.services import contact_create, customer_create, customers_assign_follow_up_plan
from invoices.models import Invoice, PaymentMethod
from invoices.services import invoice_create, payment_record
from mandates.models import Mandate, MandateDocument, MandateProfile, SignatureMethod
from mandates.pdf import render_mandate_pdf
from mandates.services import references_allocate
from organizations.bank_accounts import bank_account_save
from organizations.models import BankAccount, Membership, Organization, Role, Tenant, User
from reminders.engine import reschedule_organization
from reminders.models import FollowUpPlan, FollowUpStep

FIRST_NAMES = {
    "nl": ["Jan", "Els", "Pieter", "Sanne", "Wouter", "An", "Bram", "Lotte", "Koen", "Fien"],
    "fr": ["Camille", "Julien", "Sophie", "Nicolas", "Léa", "Mathieu", "Chloé", "Antoine", "Élise", "Hugo"],
    "de": ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Paul", "Sophie", "Jan", "Mia"],
    "en": ["James", "Emma", "Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava", "George", "Grace"],
}
LAST_NAMES = {
    "nl": [
        "Peeters",
        "Janssens",
        "De Vries",
        "Maes",
        "Jacobs",
        "Willems",
        "Claes",
        "Bakker",
        "Visser",
        "Smit",
    ],
    "fr": [
        "Dubois",
        "Lambert",
        "Martin",
        "Leroy",
        "Moreau",
        "Laurent",
        "Simon",
        "Michel",
        "Dupont",
        "Renard",
    ],
    "de": [
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Koch",
    ],
    "en": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright"],
}
COMPANY_WORDS = [
    "Atlas",
    "Noord",
    "Delta",
    "Zuid",
    "Horizon",
    "Lumen",
    "Meridian",
    "Polder",
    "Ardenne",
    "Schelde",
    "Kempen",
    "Nova",
    "Vector",
    "Orion",
    "Brabant",
    "Rivage",
    "Quartz",
    "Linde",
    "Falcon",
    "Beacon",
]
COMPANY_TRADES = [
    "Logistics",
    "Bouw",
    "Consult",
    "Foods",
    "Services",
    "Tech",
    "Immo",
    "Transport",
    "Design",
    "Medical",
    "Energy",
    "Print",
    "Retail",
    "Garage",
    "Catering",
]
COMPANY_FORMS = {"BE": ["BV", "NV", "SRL", "SA"], "NL": ["B.V.", "N.V.", "V.O.F."]}
CITIES = {
    "BE": [
        ("1000", "Brussel"),
        ("2000", "Antwerpen"),
        ("9000", "Gent"),
        ("4000", "Liège"),
        ("3000", "Leuven"),
        ("8000", "Brugge"),
        ("5000", "Namur"),
        ("4700", "Eupen"),
    ],
    "NL": [
        ("1011", "Amsterdam"),
        ("3011", "Rotterdam"),
        ("3511", "Utrecht"),
        ("5611", "Eindhoven"),
        ("9711", "Groningen"),
        ("2511", "Den Haag"),
    ],
}
STREETS = ["Kerkstraat", "Rue de la Gare", "Hauptstraße", "Dorpsstraat", "Avenue Louise"]
LANGUAGES = {"BE": ["nl", "nl", "nl", "fr", "fr", "de", "en"], "NL": ["nl", "nl", "nl", "nl", "en", "de"]}

STANDARD_STEPS = [  # name, days after due, channel, message
    ("Friendly reminder", -3, "email", "pre_due"),
    ("Reminder", 7, "email", "reminder_1"),
    ("Second reminder", 21, "email", "reminder_2"),
    ("Final notice", 35, "email", "final_notice"),
    ("Call the customer", 45, "task", ""),
]
KEY_ACCOUNT_STEPS = [
    ("Reminder", 10, "email", "reminder_1"),
    ("Call the customer", 30, "task", ""),
]

# Demo Belgium's SEPA creditor identifier: BE, check digits (MOD 97-10 over the national id), ZZZ, national id.
DEMO_CREDITOR_ID = "BE69ZZZ0456789123"
# Signed mandates that get a generated PDF (about 0.3 s each); the other signed ones were signed on paper.
DEMO_ONLINE_SIGNATURES = 5

USERS = [
    ("owner@demo.example", "Olivia", "Owner", Role.OWNER, False),
    ("finance@demo.example", "Finn", "Finance", Role.MEMBER, False),
    ("manager@demo.example", "Amira", "Manager", Role.MEMBER, True),
]


def demo_password() -> str:
    from_env = getattr(settings, "DEMO_PASSWORD", "") or __import__("os").environ.get("DEMO_PASSWORD", "")
    if from_env:
        return from_env
    path = settings.VAR_DIR / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"demo-{secrets.token_urlsafe(9)}\n")
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo tenant (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        password = demo_password()
        today = timezone.localdate()
        with transaction.atomic():
            demo = self.tenant("Demo")
            belgium = self.organization(demo, "demo-be", "Demo Belgium BV", "BE", "Europe/Brussels", "nl")
            netherlands = self.organization(demo, "demo-nl", "Demo Nederland B.V.", "NL", "Europe/Amsterdam", "nl")
            # Where debtors pay: reminders show IBAN, BIC, the invoice's reference and the EPC QR code.
            self.bank_account(belgium, "BE71096123456769")
            self.bank_account(netherlands, "NL91ABNA0417164300")
            memberships = {
                email: self.member(demo, email, first, last, role, manager, password)
                for email, first, last, role, manager in USERS
            }
            manager = memberships["manager@demo.example"]
            self.customers(belgium, count=150, invoices_per_customer=5, manager=manager, today=today, seed=1)
            self.customers(netherlands, count=50, invoices_per_customer=5, manager=manager, today=today, seed=2)
            for organization in (belgium, netherlands):
                self.plans(organization)
                reschedule_organization(organization=organization)
            self.agreements(belgium)
            self.campaign_in_progress(belgium)
            other = self.tenant("Other")
            other_organization = self.organization(other, "other", "Other Company NV", "BE", "Europe/Brussels", "en")
            self.bank_account(other_organization, "BE68539007547034")
            self.member(other, "owner@other.example", "Otto", "Other", Role.OWNER, False, password)
            # Same references and invoice numbers as demo-be on purpose: isolation must hold anyway.
            self.customers(other_organization, count=10, invoices_per_customer=3, manager=None, today=today, seed=1)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for email, *_rest in USERS:
            self.stdout.write(f"  {email}")
        self.stdout.write("  owner@other.example  (tenant Other, to see isolation)")

    def plans(self, organization) -> None:
        """The default plan of the issue (friendly reminder 3 days before due, +7, grouped +21, final notice
        +35, call task +45) and a gentler one for key accounts."""
        standard, _ = FollowUpPlan.objects.get_or_create(
            organization=organization, name="Standard", defaults={"is_default": True}
        )
        self.steps(standard, STANDARD_STEPS)
        key_accounts, created = FollowUpPlan.objects.get_or_create(organization=organization, name="Key accounts")
        self.steps(key_accounts, KEY_ACCOUNT_STEPS)
        if created:
            big = Customer.objects.filter(organization=organization).order_by("-open_balance")[:12]
            customers_assign_follow_up_plan(organization=organization, plan=key_accounts,
                                            customer_ids=list(big.values_list("pk", flat=True)))  # fmt: skip

    def steps(self, plan, steps) -> None:
        if plan.steps.exists():
            return
        for position, (name, offset, channel, purpose) in enumerate(steps, start=1):
            FollowUpStep.objects.create(organization=plan.organization, plan=plan, position=position, name=name,
                                        offset_days=offset, channel=channel, purpose=purpose,
                                        cc_account_manager=channel == "email" and offset >= 21)  # fmt: skip

    def agreements(self, organization) -> None:
        """A CORE and a B2B profile with real-looking creditor details, and mandates in various states: signed
        ones carry the debtor's IBAN; a few were signed online (with their PDF), the others on paper."""
        creditor = {
            "creditor_name": organization.name, "creditor_street": "Kunstlaan 12", "creditor_postal_code": "1000",
            "creditor_city": "Brussel", "creditor_country": "BE", "creditor_id": DEMO_CREDITOR_ID,
            "creditor_iban": "BE71096123456769", "creditor_bic": "GKCCBEBB",
        }  # fmt: skip
        core = self.profile(organization, "SEPA Core", scheme="CORE", reference_prefix="DEMO", **creditor)
        b2b = self.profile(organization, "SEPA B2B", scheme="B2B", reference_prefix="DEMOB2B", **creditor)
        if Mandate.objects.filter(organization=organization).exists():
            return
        states = ["signed", "signed", "signed", "invited", "opened", "cancelled", "prepared", "expired"]
        customers = Customer.objects.filter(organization=organization).order_by("external_ref")
        now, online = timezone.now(), 0
        for index, customer in enumerate(customers):
            if index % 3:
                continue
            profile = b2b if customer.type == "company" and index % 2 else core
            reference = references_allocate(organization=organization, prefix=profile.reference_prefix)[0]
            state = states[index % len(states)]
            mandate = Mandate.objects.create(
                organization=organization, customer=customer, profile=profile, scheme=profile.scheme,
                reference=reference, state=state, language=customer.language, debtor_name=customer.name[:70],
                debtor_street=customer.street[:70], debtor_postal_code=customer.postal_code,
                debtor_city=customer.city[:70], debtor_country=customer.country or "BE",
                link_expires_at=now + timedelta(days=profile.link_valid_days),
            )  # fmt: skip
            if state == "signed":
                online += self.signed(mandate, index, online=online < DEMO_ONLINE_SIGNATURES, now=now)

    def profile(self, organization, name, **fields) -> MandateProfile:
        profile, created = MandateProfile.objects.get_or_create(organization=organization, name=name, defaults=fields)
        if not created and not profile.creditor_id:  # demo data from before profiles had creditor details
            MandateProfile.objects.filter(pk=profile.pk).update(**fields)
            profile.refresh_from_db()
        return profile

    def signed(self, mandate, index, *, online: bool, now) -> int:
        """Fill in what the debtor signed; online signatures get their PDF like a real signing would."""
        iban = str(IBAN.generate("BE", bank_code="096", account_code=f"{2000000 + index:07d}"))
        mandate.iban, mandate.bic = iban, "GKCCBEBB"
        mandate.signed_at = now - timedelta(days=20 + index)
        mandate.signer_name = mandate.debtor_name
        mandate.signature_method = SignatureMethod.TYPED_NAME if online else SignatureMethod.PAPER
        if online:
            mandate.signed_ip, mandate.signed_user_agent = "192.0.2.10", "Mozilla/5.0 (demo data)"
        mandate.save()
        if online:
            pdf = render_mandate_pdf(mandate)
            MandateDocument.objects.create(organization=mandate.organization, mandate=mandate,
                                           language=mandate.language, pdf=pdf,
                                           sha256=hashlib.sha256(pdf).hexdigest())  # fmt: skip
        return int(online)

    def campaign_in_progress(self, organization) -> None:
        """A mandate campaign under way: some invited, opened, started, signed, one declined, one bounced."""
        from campaigns.models import Campaign, Invitation
        from campaigns.services import campaign_create, invitations_create

        profile, _ = MandateProfile.objects.get_or_create(
            organization=organization, name="SEPA Core", defaults={"scheme": "CORE"}
        )
        if Campaign.objects.filter(organization=organization, name="Direct debit 2026").exists():
            return
        campaign = campaign_create(organization=organization, name="Direct debit 2026", profile=profile, actor=None)
        candidates = Customer.objects.filter(organization=organization, has_valid_email=True, mandates__isnull=True)
        ids = list(candidates.order_by("external_ref").values_list("pk", flat=True)[:24])
        invitations_create(campaign=campaign, customer_ids=ids, actor=None)
        now = timezone.now()
        mandates = {m.customer_id: m for m in Mandate.objects.filter(invitation__campaign=campaign)}
        opened = {"state": "opened", "opened_at": now - timedelta(days=2)}
        started = {**opened, "state": "signing", "signing_started_at": now - timedelta(days=2)}
        signed = {**started, "state": "signed", "signed_at": now - timedelta(days=1), "signature_method": "typed_name",
                  "iban": "BE68539007547034", "bic": "JVBABE22"}  # fmt: skip
        declined = {**opened, "state": "cancelled", "declined_at": now - timedelta(days=1),
                    "cancelled_at": now - timedelta(days=1), "cancel_reason": "Declined by the debtor"}  # fmt: skip
        stories = [signed] * 7 + [started] * 3 + [opened] * 4 + [declined]
        for customer_id, changes in zip(ids, stories, strict=False):
            extra = {"signer_name": mandates[customer_id].debtor_name} if changes is signed else {}
            Mandate.objects.filter(pk=mandates[customer_id].pk).update(**changes, **extra)
        if len(ids) > len(stories):
            bounced = ids[len(stories)]
            Invitation.objects.filter(campaign=campaign, customer_id=bounced).update(email_bounced_at=now)

    def tenant(self, name: str) -> Tenant:
        return Tenant.objects.get_or_create(name=name)[0]

    def organization(self, tenant, slug, name, country, zone, language) -> Organization:
        organization, _ = Organization.objects.get_or_create(
            slug=slug,
            defaults={
                "tenant": tenant,
                "name": name,
                "country": country,
                "time_zone": zone,
                "default_language": language,
                "currency": "EUR",
                "sender_name": name,
                "reply_to_email": f"finance@{slug}.example",
            },
        )
        return organization

    def bank_account(self, organization, iban: str) -> None:
        if not BankAccount.objects.filter(organization=organization).exists():
            bank_account_save(organization=organization, data={"currency": "EUR", "iban": iban, "is_default": True})

    def member(self, tenant, email, first, last, role, is_manager, password) -> Membership:
        user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        membership, _ = Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": role, "is_account_manager": is_manager}
        )
        return membership

    def customers(self, organization, *, count, invoices_per_customer, manager, today, seed) -> None:
        rng = random.Random(seed)
        prefix = organization.country
        for index in range(1, count + 1):
            reference = f"C{prefix}{index:04d}"
            customer = Customer.objects.filter(organization=organization, external_ref=reference).first()
            if customer is None:
                customer = self.customer(organization, rng, reference, manager, index)
            self.invoices(organization, customer, rng, index, invoices_per_customer, today)

    def customer(self, organization, rng, reference, manager, index) -> Customer:
        country = organization.country
        language = rng.choice(LANGUAGES[country])
        is_person = index % 3 == 0
        first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
        if is_person:
            name = f"{first} {last}"
        else:
            words = (
                rng.choice(COMPANY_WORDS),
                rng.choice(COMPANY_TRADES),
                rng.choice(COMPANY_FORMS[country]),
            )
            name = " ".join(words)
        postal_code, city = rng.choice(CITIES[country])
        customer = customer_create(
            organization=organization,
            external_ref=reference,
            name=name,
            type=CustomerType.PERSON if is_person else CustomerType.COMPANY,
            language=language,
            vat_number="" if is_person else f"{country}0{rng.randint(100000000, 999999999)}",
            street=f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
            postal_code=postal_code,
            city=city,
            country=country,
            account_manager=manager if manager and index % 4 == 0 else None,
        )
        slug = reference.lower()
        if index % 17 == 0:
            return customer  # no contact at all: cannot receive e-mail
        email = f"{first.lower()}.{slug}@example.com" if index % 23 else f"{first.lower()}.{slug}example.com"
        contact_create(
            customer=customer,
            name=f"{first} {last}",
            email=email,
            phone=f"+32 470 {index:02d} {index:02d} 00",
        )
        if not is_person and index % 5 == 0:
            contact_create(
                customer=customer,
                name="Accounts payable",
                email=f"ap.{slug}@example.com",
                notify=index % 10 != 0,
            )
        return customer

    def invoices(self, organization, customer, rng, index, count, today) -> None:
        for number_in_customer in range(count):
            number = f"{today.year % 100:02d}{index:04d}{number_in_customer:02d}"
            if Invoice.objects.filter(organization=organization, number=number).exists():
                continue
            issue = today - timedelta(days=rng.randint(-10, 160))
            due = issue + timedelta(days=rng.choice([14, 30, 30, 30, 60]))
            amount = Decimal(rng.randint(5000, 900000)) / 100
            invoice = invoice_create(
                organization=organization,
                customer=customer,
                number=number,
                issue_date=issue,
                due_date=due,
                amount=amount,
            )
            self.pay(invoice, rng, today, due)

    def pay(self, invoice, rng, today: date, due: date) -> None:
        roll = rng.random()
        if due < today and roll < 0.35:
            payment_record(
                invoice=invoice,
                amount=invoice.amount,
                paid_on=min(today, due + timedelta(days=rng.randint(0, 20))),
                method=PaymentMethod.BANK_TRANSFER,
                reference=f"+++{invoice.number}+++",
            )
        elif roll < 0.45:
            part = (invoice.amount * Decimal(rng.choice(["0.25", "0.5"]))).quantize(Decimal("0.01"))
            payment_record(
                invoice=invoice,
                amount=part,
                paid_on=today - timedelta(days=rng.randint(0, 10)),
                method=PaymentMethod.BANK_TRANSFER,
                reference=f"+++{invoice.number}+++",
            )
