"""Locust users for `make load` (devtools/load/run.py starts the servers and passes the settings below).

Staff (weight 50 of 51): log in through the login form, then browse with 1-3 s of thinking between pages:
dashboard, customers (filters, search), a customer, invoices, an invoice, Upcoming, Actions, campaigns,
mandates, collections. An integrator (weight 1): posts invoices and payments through the API with its key.

Environment (set by run.py): LOAD_ORGANIZATION (slug), LOAD_LOGINS (comma-separated e-mail addresses),
LOAD_PASSWORD, LOAD_API_KEY, LOAD_CUSTOMER_REFS (comma-separated external references for new invoices).
Request names group URLs per endpoint (`/customers/[id]/`), so the report has one row per page.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import uuid
from datetime import date, timedelta

from locust import HttpUser, between, task

ORG = os.environ.get("LOAD_ORGANIZATION", "bench-1")
LOGINS = itertools.cycle(os.environ.get("LOAD_LOGINS", "bench-owner@bench.example").split(","))
PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-password-2026")
API_KEY = os.environ.get("LOAD_API_KEY", "")
CUSTOMER_REFS = [ref for ref in os.environ.get("LOAD_CUSTOMER_REFS", "").split(",") if ref]
SEARCHES = ["renard", "jacobs 9", "c00012", "be04", "@example", "peeters", "zz"]
FILTERS = [
    {"has_overdue_invoices": "true"},
    {"valid_email": "false"},
    {"balance_min": "1000", "sort": "-balance"},
    {"has_agreements": "true"},
    {"type": "person", "sort": "oldest_due"},
    {"language": "fr"},
]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CUSTOMER_LINK = re.compile(rf"/o/{re.escape(ORG)}/customers/(\d+)/")
INVOICE_LINK = re.compile(rf"/o/{re.escape(ORG)}/invoices/(\d+)/")
RUN = uuid.uuid4().hex[:6]  # invoice numbers unique per run
NUMBERS = itertools.count(1)


class Staff(HttpUser):
    weight = 50
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.customers: list[str] = []
        self.invoices: list[str] = []
        page = self.client.get("/accounts/login/", name="/accounts/login/")
        token = CSRF.search(page.text)
        form = {"username": next(LOGINS), "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""}
        login = self.client.post("/accounts/login/", name="/accounts/login/ (post)", data=form, catch_response=True)
        with login as response:
            if response.status_code != 200 or "/accounts/login/" in response.url:
                response.failure(f"login refused: {response.status_code} {response.url}")

    def page(self, path: str, name: str, **params):
        with self.client.get(f"/o/{ORG}{path}", params=params or None, name=name, catch_response=True) as response:
            if response.status_code != 200 or "/accounts/login/" in response.url:
                response.failure(f"{response.status_code} {response.url} {response.error or ''}")
            return response

    @task(3)
    def dashboard(self):
        self.page("/", "dashboard")

    @task(4)
    def customers(self):
        response = self.page("/customers/", "customers")
        self.customers = CUSTOMER_LINK.findall(response.text)[:50] or self.customers

    @task(3)
    def customers_filtered(self):
        filters = random.choice(FILTERS)
        self.page("/customers/", "customers ?" + "&".join(sorted(filters)), **filters)

    @task(4)
    def customers_search(self):
        response = self.page("/customers/", "customers ?search", search=random.choice(SEARCHES))
        self.customers = CUSTOMER_LINK.findall(response.text)[:50] or self.customers

    @task(4)
    def customer(self):
        if self.customers:
            self.page(f"/customers/{random.choice(self.customers)}/", "customers/[id]")

    @task(4)
    def invoices(self):
        params = random.choice([{}, {"status": "open"}, {"sort": "-days_overdue"}])
        response = self.page("/invoices/", "invoices", **params)
        self.invoices = INVOICE_LINK.findall(response.text)[:50] or self.invoices

    @task(4)
    def invoice(self):
        if self.invoices:
            self.page(f"/invoices/{random.choice(self.invoices)}/", "invoices/[id]")

    @task(2)
    def upcoming(self):
        self.page("/follow-up/upcoming/", "follow-up/upcoming")

    @task(2)
    def actions(self):
        self.page("/actions/", "actions")

    @task(1)
    def campaigns(self):
        self.page("/campaigns/", "campaigns")

    @task(1)
    def mandates(self):
        self.page("/mandates/", "mandates")

    @task(1)
    def collections(self):
        self.page("/collections/", "collections")


class Integrator(HttpUser):
    """An ERP posting a new invoice and, for some, a payment; one call every 0.5-1.5 s."""

    weight = 1
    fixed_count = 1
    wait_time = between(0.5, 1.5)

    def api(self, path: str, body: dict, name: str):
        headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": str(uuid.uuid4())}
        with self.client.post(f"/api/v1/{path}", json=body, headers=headers, name=name, catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:200]}")
            return r

    @task
    def invoice_and_payment(self):
        if not CUSTOMER_REFS:
            return
        issued = date.today() - timedelta(days=random.randint(0, 60))
        amount = random.randint(1000, 500000) / 100
        body = {
            "customer_ref": random.choice(CUSTOMER_REFS),
            "number": f"LOAD-{RUN}-{next(NUMBERS)}",
            "issue_date": issued.isoformat(),
            "due_date": (issued + timedelta(days=30)).isoformat(),
            "amount": f"{amount:.2f}",
        }
        response = self.api("invoices/", body, "api/v1/invoices/")
        if response.status_code == 201 and random.random() < 0.5:
            payment = {
                "invoice": response.json()["id"],
                "amount": f"{amount / 2:.2f}",
                "paid_on": date.today().isoformat(),
                "method": "bank_transfer",
            }
            self.api("payments/", payment, "api/v1/payments/")
