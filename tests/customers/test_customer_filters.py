"""Every customer filter gives the same answer in the page and the API, and matches a computation made
directly from the invoices, contacts and agreements (not from the figures stored on the customer)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from customers.models import Customer, EmailStatus
from customers.services import contact_create, customer_create
from invoices.models import Invoice
from invoices.services import invoice_change_status, invoice_create, payment_record
from mandates.models import Mandate, MandateProfile
from reminders.models import FollowUpPlan

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
STATES = ["prepared", "invited", "signed", "cancelled", "suspended", "expired"]


@pytest.fixture
def population(world):
    """Forty customers of organization A with every combination the filters care about."""
    rng = random.Random(7)
    organization = world.org_a
    profiles = [world.a.profile, MandateProfile.objects.create(organization=organization, name="B2B", scheme="B2B")]
    plans = [world.a.plan, FollowUpPlan.objects.create(organization=organization, name="Key accounts")]
    with time_machine.travel(TODAY, tick=False):
        for n in range(40):
            customer = customer_create(
                organization=organization, name=f"Customer {n:02d}", external_ref=f"P-{n}",
                type=rng.choice(["company", "person"]), language=rng.choice(["nl", "fr", "de", "en"]),
                country=rng.choice(["BE", "NL", "FR"]), vat_number=f"BE0{n:09d}" if n % 3 else "",
                account_manager=rng.choice([None, world.manager_a, world.owner_a]),
                follow_up_plan=rng.choice([None, *plans]),
            )  # fmt: skip
            for _ in range(rng.randint(0, 2)):
                email = rng.choice([f"c{n}@example.com", "not-an-address", ""])
                contact_create(customer=customer, name="X", email=email, notify=rng.random() < 0.8)
            for i in range(rng.choice([0, 0, 1, 2, 3])):
                due = TODAY + timedelta(days=rng.randint(-120, 40))
                invoice = invoice_create(
                    organization=organization, customer=customer, number=f"P-{n}-{i}",
                    issue_date=due - timedelta(days=30), due_date=due, amount=Decimal(rng.randint(100, 90000)) / 100,
                )  # fmt: skip
                roll = rng.random()
                if roll < 0.25:
                    payment_record(invoice=invoice, amount=invoice.amount, paid_on=TODAY)
                elif roll < 0.4:
                    payment_record(
                        invoice=invoice, amount=(invoice.amount / 2).quantize(Decimal("0.01")), paid_on=TODAY
                    )
                elif roll < 0.5:
                    invoice_change_status(invoice=invoice, status="disputed")
            for _ in range(rng.choice([0, 0, 1, 2])):
                reference = f"T-{Mandate.objects.count() + 1:06d}"
                Mandate.objects.create(organization=organization, customer=customer, profile=rng.choice(profiles),
                                       state=rng.choice(STATES), reference=reference)  # fmt: skip
    return {"profiles": profiles, "plans": plans}


def expected(world, predicate) -> set[int]:
    """The independent computation: Python over the raw rows."""
    result = set()
    for customer in Customer.objects.filter(organization=world.org_a).prefetch_related(
        "contacts", "invoices", "mandates"
    ):
        if predicate(customer):
            result.add(customer.pk)
    return result


def owed(customer):
    return [i for i in customer.invoices.all() if i.status in Invoice.OWED_STATUSES]


def balance(customer):
    return sum((i.open_amount for i in owed(customer)), Decimal("0"))


def valid_email(customer):
    return any(c.notify and c.email_status == EmailStatus.VALID and "@" in c.email for c in customer.contacts.all())


def api_ids(api, params) -> set[int]:
    ids, url = set(), "/api/v1/customers/"
    query = {**params, "page_size": 200}
    while url:
        body = api.get(url, query).json()
        ids |= {row["id"] for row in body["results"]}
        url, query = body["next"], None
    return ids


def page_ids(client, organization, params) -> set[int]:
    response = client.get(reverse("customers:list", args=[organization.slug]), {**params})
    assert response.context["page_obj"].paginator.count <= 50, "test population must fit on one page"
    return {customer.pk for customer in response.context["customers"]}


CASES = [
    ({"valid_email": "true"}, lambda c, w, p: valid_email(c)),
    ({"valid_email": "false"}, lambda c, w, p: not valid_email(c)),
    ({"has_invoices": "true"}, lambda c, w, p: c.invoices.exists()),
    ({"has_invoices": "false"}, lambda c, w, p: not c.invoices.exists()),
    ({"has_overdue_invoices": "true"}, lambda c, w, p: any(i.due_date < TODAY for i in owed(c))),
    ({"has_overdue_invoices": "false"}, lambda c, w, p: not any(i.due_date < TODAY for i in owed(c))),
    ({"balance_min": "100"}, lambda c, w, p: balance(c) >= 100),
    ({"balance_max": "50"}, lambda c, w, p: balance(c) <= 50),
    ({"balance_min": "10", "balance_max": "400"}, lambda c, w, p: 10 <= balance(c) <= 400),
    ({"has_agreements": "true"}, lambda c, w, p: c.mandates.exists()),
    ({"has_agreements": "false"}, lambda c, w, p: not c.mandates.exists()),
    ({"profile": "B2B"}, lambda c, w, p: any(m.profile.name == "B2B" for m in c.mandates.all())),
    ({"agreement_state": "signed"}, lambda c, w, p: any(m.state == "signed" for m in c.mandates.all())),
    ({"profile": "B2B", "agreement_state": "invited"},
     lambda c, w, p: any(m.profile.name == "B2B" and m.state == "invited" for m in c.mandates.all())),
    ({"type": "person"}, lambda c, w, p: c.type == "person"),
    ({"language": "fr"}, lambda c, w, p: c.language == "fr"),
    ({"country": "nl"}, lambda c, w, p: c.country == "NL"),
    ({"account_manager": "none"}, lambda c, w, p: c.account_manager_id is None),
    ({"account_manager": "MANAGER"}, lambda c, w, p: c.account_manager_id == w.manager_a.pk),
    ({"follow_up_plan": "none"}, lambda c, w, p: c.follow_up_plan_id is None),
    ({"follow_up_plan": "KEY"}, lambda c, w, p: c.follow_up_plan_id == p["plans"][1].pk),
    ({"search": "customer 1"}, lambda c, w, p: "customer 1" in c.name.lower()),
    ({"search": "c7@example"}, lambda c, w, p: any("c7@example" in x.email for x in c.contacts.all())),
    ({"valid_email": "true", "has_overdue_invoices": "true", "language": "nl"},
     lambda c, w, p: valid_email(c) and any(i.due_date < TODAY for i in owed(c)) and c.language == "nl"),
    ({"has_invoices": "true", "has_agreements": "false", "type": "company"},
     lambda c, w, p: c.invoices.exists() and not c.mandates.exists() and c.type == "company"),
]  # fmt: skip


def resolve(params, world, population):
    values = {"B2B": str(population["profiles"][1].pk), "MANAGER": str(world.manager_a.pk),
              "KEY": str(population["plans"][1].pk)}  # fmt: skip
    return {key: values.get(value, value) for key, value in params.items()}


@pytest.mark.parametrize("params,predicate", CASES, ids=[str(p) for p, _ in CASES])
def test_filter_matches_an_independent_computation_in_api_and_page(world, population, api_a, owner_a_client,
                                                                     params, predicate):  # fmt: skip
    params = resolve(params, world, population)
    with time_machine.travel(TODAY, tick=False):
        want = expected(world, lambda c: predicate(c, world, population))
        got_api = api_ids(api_a, params)
        got_page = page_ids(owner_a_client, world.org_a, params)
    assert got_api == want
    assert got_page == want


def test_the_population_exercises_every_filter(world, population):
    """Guard against a population where a filter trivially returns everything or nothing."""
    with time_machine.travel(TODAY, tick=False):
        everyone = expected(world, lambda c: True)
        for params, predicate in CASES:
            if "search" in params:
                continue
            matched = expected(world, lambda c, p=predicate: p(c, world, population))
            assert 0 < len(matched) < len(everyone), params


def test_filters_stay_inside_the_organization(world, population, api_a):
    ids = api_ids(api_a, {"has_invoices": "true"})
    assert world.b.customer.pk not in ids
    assert api_ids(api_a, {"profile": str(world.b.profile.pk)}) == set()
    assert api_ids(api_a, {"account_manager": str(world.owner_b.pk)}) == set()


def test_active_filters_show_as_removable_chips(world, population, owner_a_client):
    url = reverse("customers:list", args=[world.org_a.slug])
    response = owner_a_client.get(url, {"valid_email": "true", "language": "fr"})
    chips = {chip["label"]: chip for chip in response.context["chips"]}
    assert set(chips) == {"Valid e-mail", "Language"}
    assert chips["Language"]["remove"] == "valid_email=true"


def test_a_bad_filter_value_is_refused_in_the_api(world, api_a):
    response = api_a.get("/api/v1/customers/", {"agreement_state": "bogus"})
    assert response.status_code == 400
    assert "agreement_state" in response.json()["error"]["fields"]
