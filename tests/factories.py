"""factory_boy factories. Every tenant-owned factory takes `organization` and keeps relations inside it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory

from customers.models import Contact, Customer, EmailStatus
from invoices.models import Invoice, Payment
from organizations.models import Membership, Organization, Role, Tenant, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    country = "BE"
    time_zone = "Europe/Brussels"
    default_language = "nl"
    currency = "EUR"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    external_ref = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Faker("company")
    language = "nl"
    country = "BE"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    organization = factory.SelfAttribute("customer.organization")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    email_status = EmailStatus.VALID


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    customer = factory.SubFactory(CustomerFactory)
    organization = factory.SelfAttribute("customer.organization")
    number = factory.Sequence(lambda n: f"INV-{n:06d}")
    issue_date = factory.LazyFunction(lambda: date.today() - timedelta(days=40))
    due_date = factory.LazyAttribute(lambda o: o.issue_date + timedelta(days=30))
    amount = Decimal("121.00")
    open_amount = factory.SelfAttribute("amount")
    currency = "EUR"


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    organization = factory.SelfAttribute("invoice.organization")
    amount = Decimal("10.00")
    paid_on = factory.LazyFunction(date.today)
