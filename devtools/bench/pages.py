"""Every staff page and API list, one scenario each, on the bench organization (issue 11, item 5).

Each scenario is one request through the whole Django stack (middleware, session, templates), as a logged-in
finance user (the bench tenant's owner) or, for the API, an integrator's read-write key. Detail pages use the
heaviest record of their kind: the customer with the most invoices, that customer's invoice with the longest
history, the campaign with the most invitations.

Fixtures made once and kept in the bench database (found again by name on the next run):
- "Bench page campaign": PAGE_CAMPAIGN_SIZE customers (the last ones by id, away from campaigns.invite_100k's
  first 100,000) invited to sign through the real bulk job; the invitation e-mails it queued are marked sent so
  they do not wait in the outbox of later scenarios. One of its mandates is the signing page's.
- An API key "Bench integrator" (read-write); its secret is kept in memory only, so each run makes a new one.
The POST scenarios add one invoice (number BENCH-API-...) and one 0.01 payment per run; they are kept.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from functools import cache

from django.db.models import Count
from django.test import Client
from django.utils import timezone

from campaigns.bulk_actions import INVITE_TO_SIGN
from campaigns.models import Campaign
from customers.jobs import bulk_job_create, bulk_job_run
from customers.models import Customer
from devtools.bench.registry import BenchContext, Outcome, scenario
from invoices.models import Invoice
from mandates.links import signing_path
from mandates.models import Mandate, MandateProfile, MandateState
from messaging.models import Dispatch, DispatchStatus
from organizations.models import ApiKeyScope
from organizations.services import api_key_create

PAGE_TARGET_MS = 100
PAGE_CAMPAIGN = "Bench page campaign"
PAGE_CAMPAIGN_SIZE = 20_000
SEARCH = "van"  # a frequent name part: thousands of matches
SHORT_SEARCH = "lu"  # two letters, the most frequent start of a generated name (~14,000 customers)


def _get(context: BenchContext, path: str, **headers) -> Outcome:
    return Outcome.of(context.client.get(f"/o/{context.organization.slug}{path}", headers=headers or None))


@cache
def _busiest_customer(organization_id: int) -> int:
    row = (
        Invoice.objects.filter(organization_id=organization_id)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "customer_id")
        .first()
    )
    return row["customer_id"]


@cache
def _busiest_invoice(organization_id: int) -> int:
    """The open invoice with the most payments of the busiest customer (the longest timeline)."""
    invoices = Invoice.objects.filter(organization_id=organization_id, customer_id=_busiest_customer(organization_id))
    row = invoices.annotate(n=Count("payments")).order_by("-n", "status", "pk").values("pk").first()
    return row["pk"]


@cache
def _api_secret(organization_id: int) -> str:
    from organizations.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    _, secret = api_key_create(organization=organization, name="Bench integrator", scope=ApiKeyScope.READ_WRITE)
    return secret


def _api(context: BenchContext) -> Client:
    # The same host as the logged-in client (ALLOWED_HOSTS), without its session: only the key.
    host = context.client.defaults.get("SERVER_NAME", "testserver")
    return Client(SERVER_NAME=host, HTTP_AUTHORIZATION=f"Bearer {_api_secret(context.organization.pk)}")


def _api_post(context: BenchContext, path: str, body: dict) -> Outcome:
    """An integrator's create, with a fresh Idempotency-Key: 201 is the only success."""
    response = _api(context).post(
        path, body, content_type="application/json", headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    ok = response.status_code == 201
    reason = "" if ok else f"HTTP {response.status_code}: {response.content[:200]!r}"
    return Outcome(ok=ok, reason=reason, http_status=response.status_code)


def page_campaign(context: BenchContext) -> Campaign:
    """The kept campaign of PAGE_CAMPAIGN_SIZE invitations (made through the bulk job the first time)."""
    organization = context.organization
    campaign = Campaign.objects.filter(organization=organization, name=PAGE_CAMPAIGN).first()
    if campaign is not None:
        return campaign
    profile = MandateProfile.objects.filter(organization=organization, scheme="CORE").order_by("pk").first()
    customers = Customer.objects.filter(organization=organization).order_by("-pk")
    ids = list(customers.values_list("pk", flat=True)[:PAGE_CAMPAIGN_SIZE])
    params = {"profile": profile.pk, "campaign": None, "campaign_name": PAGE_CAMPAIGN, "include_signed": True}
    job = bulk_job_create(
        organization=organization,
        action=INVITE_TO_SIGN.name,
        params=params,
        ids=ids,
        filter_query="",
        select_all=False,
        actor=context.user,
    )
    bulk_job_run(job_id=job.pk)
    campaign = Campaign.objects.get(organization=organization, name=PAGE_CAMPAIGN)
    # The fixture's invitation e-mails count as sent (they were not what these scenarios measure).
    Dispatch.objects.filter(organization=organization, mandate__invitation__campaign=campaign).update(
        status=DispatchStatus.SENT, sent_at=timezone.now(), next_attempt_at=None
    )
    return campaign


# --- staff pages ----------------------------------------------------------------------------------------


# Pages at a fixed path under /o/<slug>: (name, description, path).
FIXED_PAGES = [
    ("pages.dashboard", "Dashboard (finance cards, aging, DSO)", "/"),
    ("pages.customers", "Customer list, first page with count", "/customers/"),
    (
        "pages.customers_filtered",
        "Customer list filtered (valid e-mail, overdue, language nl, balance >= 1,000)",
        "/customers/?valid_email=true&has_overdue_invoices=true&language=nl&balance_min=1000",
    ),
    (
        "pages.customers_search",
        f"Customer list searched for {SEARCH!r} (thousands match)",
        f"/customers/?search={SEARCH}",
    ),
    (
        "pages.customers_search_short",
        f"Customer list searched for {SHORT_SEARCH!r} (two letters: names and references starting with them)",
        f"/customers/?search={SHORT_SEARCH}",
    ),
    ("pages.invoices", "Invoice list, first page with count", "/invoices/"),
    (
        "pages.invoices_overdue",
        "Invoice list: open and overdue, oldest first",
        "/invoices/?status=open&overdue_min=1&sort=-days_overdue",
    ),
    ("pages.upcoming", "Follow-up > Upcoming: what goes out in the next 7 days", "/follow-up/upcoming/"),
    ("pages.follow_up", "Follow-up: plans and settings", "/follow-up/"),
    ("pages.follow_up_messages", "Follow-up > Messages (the outbox)", "/follow-up/messages/"),
    ("pages.actions", "Actions (open tasks)", "/actions/"),
    ("pages.mandates", "Mandate list, first page with count", "/mandates/"),
    ("pages.collections", "Direct-debit collections (batches)", "/collections/"),
]


def _fixed_page(path: str):
    return lambda context: _get(context, path)


for _name, _description, _path in FIXED_PAGES:
    scenario(_name, _description, target_ms=PAGE_TARGET_MS)(_fixed_page(_path))


@scenario("pages.customer_detail", "Customer page of the customer with the most invoices", target_ms=PAGE_TARGET_MS)
def customer_detail(context: BenchContext) -> Outcome:
    return _get(context, f"/customers/{_busiest_customer(context.organization.pk)}/")


@scenario(
    "pages.invoice_detail", "Invoice page (how to pay, follow-up explanation, timeline)", target_ms=PAGE_TARGET_MS
)
def invoice_detail(context: BenchContext) -> Outcome:
    return _get(context, f"/invoices/{_busiest_invoice(context.organization.pk)}/")


@scenario("pages.campaigns", "Campaign list", target_ms=PAGE_TARGET_MS)
def campaigns(context: BenchContext) -> Outcome:
    page_campaign(context)
    return _get(context, "/campaigns/")


@scenario(
    "pages.campaign_detail",
    f"A campaign of {PAGE_CAMPAIGN_SIZE:,} invitations: progress and first page of invitations",
    target_ms=PAGE_TARGET_MS,
)
def campaign_detail(context: BenchContext) -> Outcome:
    return _get(context, f"/campaigns/{page_campaign(context).pk}/")


@scenario("pages.signing", "The debtor's signing page (anonymous, invitation link)", target_ms=PAGE_TARGET_MS)
def signing(context: BenchContext) -> Outcome:
    path = _signing_path(page_campaign(context).pk)
    if path is None:
        return Outcome(ok=False, reason="the page campaign has no mandate left to sign")
    anonymous = Client(SERVER_NAME=context.client.defaults.get("SERVER_NAME", "testserver"))
    return Outcome.of(anonymous.get(path))


@cache
def _signing_path(campaign_id: int) -> str | None:
    """An invited mandate's link (opening it moves it to "opened"; later views are as the debtor's return visits)."""
    mandate = Mandate.objects.filter(invitation__campaign_id=campaign_id, state=MandateState.INVITED).order_by("pk")
    first = mandate.first()
    return signing_path(first) if first else None


# --- API --------------------------------------------------------------------------------------------


@scenario("api.customers", "GET /api/v1/customers/ (API key): first page", target_ms=PAGE_TARGET_MS)
def api_customers(context: BenchContext) -> Outcome:
    return Outcome.of(_api(context).get("/api/v1/customers/"))


@scenario("api.invoices", "GET /api/v1/invoices/?status=open (API key): first page", target_ms=PAGE_TARGET_MS)
def api_invoices(context: BenchContext) -> Outcome:
    return Outcome.of(_api(context).get("/api/v1/invoices/?status=open"))


@scenario(
    "api.invoice_create", "POST /api/v1/invoices/ (API key, Idempotency-Key): one new invoice", target_ms=PAGE_TARGET_MS
)
def api_invoice_create(context: BenchContext) -> Outcome:
    today = timezone.localdate()
    body = {
        "number": f"BENCH-API-{uuid.uuid4().hex[:12]}",
        "customer": _busiest_customer(context.organization.pk),
        "issue_date": today.isoformat(),
        "due_date": (today + timedelta(days=30)).isoformat(),
        "amount": "1210.00",
        "currency": "EUR",
    }
    return _api_post(context, "/api/v1/invoices/", body)


@scenario(
    "api.payment_create",
    "POST /api/v1/payments/ (API key, Idempotency-Key): 0.01 on an open invoice",
    target_ms=PAGE_TARGET_MS,
)
def api_payment_create(context: BenchContext) -> Outcome:
    invoice = _busiest_invoice(context.organization.pk)
    if not Invoice.objects.filter(pk=invoice, status="open", open_amount__gte=Decimal("1.00")).exists():
        invoice = (
            Invoice.objects.filter(organization=context.organization, status="open", open_amount__gte=100)
            .values_list("pk", flat=True)
            .first()
        )
    body = {
        "invoice": invoice,
        "amount": "0.01",
        "paid_on": timezone.localdate().isoformat(),
        "method": "bank_transfer",
    }
    return _api_post(context, "/api/v1/payments/", body)
