"""Build (and replace) the benchmark tenant fast.

PostgreSQL: rows stream through COPY and the per-customer figures come from one set-based UPDATE; the
tables are vacuumed and analyzed afterwards so plans and index-only scans match a settled database.
Other databases (SQLite in tests): bulk_create in batches and the regular stats service.
Everything but the final VACUUM runs in one transaction: a failed run leaves nothing behind.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from graphlib import CycleError, TopologicalSorter
from itertools import islice

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from customers.models import Contact, Customer, CustomerBalance, EmailStatus
from customers.stats import customers_refresh_stats_for_organization
from devtools.bench import rows
from invoices.ledger import ledger_rebuild
from invoices.models import Invoice, Payment, ReceivablesDay
from invoices.references import reference_expression
from mandates.models import Mandate, MandateProfile, Scheme
from organizations.models import Membership, Organization, Role, Tenant, User
from reminders.models import FollowUpPlan

BATCH_SIZE = 5000
PAYMENT_CHUNK = 50_000
MANAGER_COUNT = 5
DEFAULT_PASSWORD = "bench-password-2026"


class TenantHasData(Exception):
    """The tenant exists with organizations or members, and replacing it was not asked for."""


@dataclass(frozen=True)
class Sizes:
    organizations: int
    customers: int
    invoices: int
    noise_share: float = 0.01  # each organization after the first gets this share, for realistic noise

    def for_position(self, position: int) -> tuple[int, int]:
        if position == 1:
            return self.customers, self.invoices
        return max(1, round(self.customers * self.noise_share)), max(1, round(self.invoices * self.noise_share))


class Phases:
    """Times named phases, reports each as it ends and keeps the totals per phase."""

    def __init__(self, report: Callable[[str], None] = lambda line: None):
        self.report = report
        self.totals: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str, label: str = "") -> Iterator[None]:
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.totals[name] = self.totals.get(name, 0.0) + elapsed
        self.report(f"  {name:<20} {label:<28} {elapsed:8.2f} s")


def owner_email(tenant_name: str) -> str:
    slug = slugify(tenant_name)
    return f"{slug}-owner@{slug}.example"


def organization_slug(tenant_name: str, position: int) -> str:
    return f"{slugify(tenant_name)}-{position}"


# --- writing rows ------------------------------------------------------------------------------------


def _fixed_values(model: type[models.Model], skip: Iterable[str], now) -> dict[str, object]:
    """Every concrete column the generator does not supply: auto_now fields get `now`, others their default."""
    values = {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.attname in skip:
            continue
        is_auto_time = getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)
        values[model_field.attname] = now if is_auto_time else model_field.get_default()
    return values


def write_rows(model: type[models.Model], columns: tuple[str, ...], source: Iterable[tuple], **constants) -> int:
    """Store generated rows: COPY on PostgreSQL, bulk_create in batches elsewhere. Returns the count."""
    if connection.vendor == "postgresql":
        return _copy_rows(model, columns, source, constants)
    count = 0
    iterator = iter(source)
    while batch := list(islice(iterator, BATCH_SIZE)):
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True)), **constants) for row in batch])
        count += len(batch)
    return count


def _copy_rows(model: type[models.Model], columns: tuple[str, ...], source: Iterable[tuple], constants: dict) -> int:
    from psycopg import sql

    fixed = {**_fixed_values(model, [*columns, *constants], timezone.now()), **constants}
    fields = {model_field.attname: model_field for model_field in model._meta.concrete_fields}
    names = [fields[name].column for name in (*columns, *fixed)]
    tail = tuple(fields[name].get_db_prep_save(value, connection) for name, value in fixed.items())
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    connection.ensure_connection()
    count = 0
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in source:
            copy.write_row(row + tail)
            count += 1
    return count


# --- deleting the tenant -----------------------------------------------------------------------------


def _foreign_key_columns(model: type[models.Model], target: type[models.Model]) -> list[str]:
    return [
        model_field.column
        for model_field in model._meta.concrete_fields
        if model_field.is_relation and model_field.related_model is target
    ]


def _organization_models_in_delete_order() -> list[type[models.Model]]:
    """Models with an organization column, referencing models first (their referenced rows go after)."""
    # Models whose migration is not applied yet have no table (and so no rows) to delete.
    tables = set(connection.introspection.table_names())
    scoped = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model is not Organization and model._meta.db_table in tables and _foreign_key_columns(model, Organization)
    ]
    graph: dict[type[models.Model], set[type[models.Model]]] = {model: set() for model in scoped}
    for model in scoped:
        for model_field in model._meta.concrete_fields:
            target = model_field.related_model if model_field.is_relation else None
            # Nullable references are cleared before deleting (`_clear_nullable_references`), so only the others
            # order the deletes: a plan naming one of its steps and the step naming its plan are no cycle.
            if target in graph and target is not model and not model_field.null:
                graph[target].add(model)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError:
        # Foreign keys are deferred to commit on PostgreSQL and SQLite, so any order is correct.
        return scoped


def _clear_nullable_references(cursor, organizations: str, tenant: Tenant) -> None:
    """Set to NULL every nullable reference between the tenant's rows, so the deletes can go in any order."""
    scoped = _organization_models_in_delete_order()
    for model in scoped:
        column = _foreign_key_columns(model, Organization)[0]
        nullable = [
            field.column
            for field in model._meta.concrete_fields
            if field.is_relation and field.null and field.related_model in scoped and field.related_model is not model
        ]
        if nullable:
            assignments = ", ".join(f"{name} = NULL" for name in nullable)
            table = model._meta.db_table
            cursor.execute(f"UPDATE {table} SET {assignments} WHERE {column} IN ({organizations})", [tenant.pk])  # noqa: S608


def tenant_delete(*, tenant: Tenant) -> dict[str, int]:
    """Delete every row of the tenant with one statement per table. Users are kept (they may be reused)."""
    deleted: dict[str, int] = {}
    organizations = f"SELECT id FROM {Organization._meta.db_table} WHERE tenant_id = %s"  # noqa: S608
    # One transaction: foreign keys are checked at commit, so tables that reference each other (a cycle) delete too.
    with transaction.atomic(), connection.cursor() as cursor:
        _clear_nullable_references(cursor, organizations, tenant)
        for model in [*_organization_models_in_delete_order(), Membership, Organization]:
            target = Tenant if model in (Membership, Organization) else Organization
            column = _foreign_key_columns(model, target)[0]
            scope = "%s" if target is Tenant else organizations
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {column} IN ({scope})", [tenant.pk])  # noqa: S608
            deleted[model._meta.label] = cursor.rowcount
    tenant.delete()
    return deleted


# --- the generator -----------------------------------------------------------------------------------


@dataclass
class BenchData:
    """Creates the benchmark tenant. Call `run()`; `phases.totals` holds the time per phase."""

    tenant_name: str
    sizes: Sizes
    seed: int = 1
    password: str = DEFAULT_PASSWORD
    replace: bool = False
    phases: Phases = field(default_factory=Phases)
    today: date = field(default_factory=timezone.localdate)

    def run(self) -> Tenant:
        postgresql = connection.vendor == "postgresql"
        with transaction.atomic():
            if postgresql:
                _execute("SET LOCAL work_mem = '256MB'")
            self._clear_previous()
            with self.phases("members"):
                tenant = Tenant.objects.create(name=self.tenant_name)
                managers = self._members(tenant)
            organizations = [
                self._organization(tenant, position, managers) for position in range(1, self.sizes.organizations + 1)
            ]
            if postgresql:
                with self.phases("analyze"):
                    # Fresh rows: without statistics the planner picks nested loops over 200,000 rows.
                    _execute(f"ANALYZE {', '.join(_tables())}")
            for organization in organizations:
                with self.phases("customer figures", organization.slug):
                    customers_refresh_figures(organization=organization)
                with self.phases("ledger", organization.slug):
                    ledger_rebuild(organization=organization)
            if postgresql:
                with self.phases("foreign key checks"):
                    # Django's foreign keys are checked at commit; run those checks now to time them.
                    _execute("SET CONSTRAINTS ALL IMMEDIATE")
        if postgresql:
            with self.phases("vacuum analyze"):
                # VACUUM sets the visibility map (index-only scans) but cannot run inside a transaction,
                # as when called from a test; the statistics from ANALYZE above are enough there.
                if not connection.in_atomic_block:
                    _execute(f"VACUUM (ANALYZE) {', '.join(_tables())}")
        return tenant

    def _clear_previous(self) -> None:
        existing = Tenant.objects.filter(name=self.tenant_name).first()
        if existing is not None:
            if not self.replace and (existing.organizations.exists() or existing.memberships.exists()):
                raise TenantHasData(f"Tenant {self.tenant_name!r} already has data; use --replace to regenerate it.")
            with self.phases("delete previous"):
                tenant_delete(tenant=existing)
                if connection.vendor == "postgresql":
                    # Run the deferred foreign-key checks of the deletes now, so they count in this phase.
                    _execute("SET CONSTRAINTS ALL IMMEDIATE")
                    _execute("SET CONSTRAINTS ALL DEFERRED")
        slugs = [organization_slug(self.tenant_name, n) for n in range(1, self.sizes.organizations + 1)]
        taken = list(Organization.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        if taken:
            raise TenantHasData(f"Organization slugs already used by another tenant: {', '.join(taken)}")

    def _members(self, tenant: Tenant) -> list[Membership]:
        """The owner and five account managers, all sharing the bench password (hashed once)."""
        hashed = make_password(self.password)
        slug = slugify(self.tenant_name)
        people = [(owner_email(self.tenant_name), "Bench", "Owner", Role.OWNER, False)] + [
            (f"{slug}-manager-{n}@{slug}.example", "Manager", str(n), Role.MEMBER, True)
            for n in range(1, MANAGER_COUNT + 1)
        ]
        managers = []
        for email, first, last, role, is_manager in people:
            user, _ = User.objects.update_or_create(
                email=email, defaults={"first_name": first, "last_name": last, "password": hashed, "is_active": True}
            )
            membership = Membership.objects.create(tenant=tenant, user=user, role=role, is_account_manager=is_manager)
            if is_manager:
                managers.append(membership)
        return managers

    def _rng(self, position: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}-{position}-{purpose}")

    def _organization(self, tenant: Tenant, position: int, managers: list[Membership]) -> Organization:
        customer_count, invoice_count = self.sizes.for_position(position)
        slug = organization_slug(self.tenant_name, position)
        with self.phases("setup", f"{slug} organization"):
            organization, key_accounts, core, b2b = self._organization_setup(tenant, position, slug)
        scoped = {"organization_id": organization.pk}
        with self.phases("customers", f"{slug} {customer_count:,} customers"):
            source = rows.customer_rows(
                count=customer_count,
                rng=self._rng(position, "customers"),
                manager_ids=[manager.pk for manager in managers],
                special_plan_id=key_accounts.pk,
            )
            write_rows(Customer, rows.CUSTOMER_COLUMNS, source, **scoped)
            customers = list(
                Customer.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "external_ref", "type", "language")
            )
        with self.phases("contacts", f"{slug} contacts"):
            source = rows.contact_rows(customers=customers, rng=self._rng(position, "contacts"))
            write_rows(Contact, rows.CONTACT_COLUMNS, source, **scoped)
        with self.phases("mandates", f"{slug} mandates"):
            rng = self._rng(position, "mandates")
            source = rows.mandate_rows(customers=customers, rng=rng, core_profile_id=core.pk, b2b_profile_id=b2b.pk)
            write_rows(Mandate, rows.MANDATE_COLUMNS, source, **scoped)
        with self.phases("invoices", f"{slug} {invoice_count:,} invoices"):
            rng = self._rng(position, "invoices")
            source = rows.invoice_rows(customers=customers, count=invoice_count, rng=rng, today=self.today)
            write_rows(Invoice, rows.INVOICE_COLUMNS, source, **scoped)
            # Payment references as invoice_create gives them, in one set-based UPDATE (invoices.references).
            Invoice.objects.filter(organization=organization, payment_reference="").update(
                payment_reference=reference_expression(organization.reference_format)
            )
        with self.phases("payments", f"{slug} payments"):
            self._payments(organization, self._rng(position, "payments"))
        return organization

    def _organization_setup(self, tenant: Tenant, position: int, slug: str) -> tuple:
        """The organization, its two follow-up plans (the first is the default) and two mandate profiles."""
        name = f"{self.tenant_name} {position}"
        organization = Organization.objects.create(
            tenant=tenant, name=name, slug=slug, country="BE", default_language="nl", currency="EUR",
            sender_name=name, reply_to_email=f"finance@{slug}.example",
        )  # fmt: skip
        FollowUpPlan.objects.create(organization=organization, name="Standard", is_default=True)
        key_accounts = FollowUpPlan.objects.create(organization=organization, name="Key accounts")
        core = MandateProfile.objects.create(organization=organization, name="SEPA Core", scheme=Scheme.CORE)
        b2b = MandateProfile.objects.create(organization=organization, name="SEPA B2B", scheme=Scheme.B2B)
        return organization, key_accounts, core, b2b

    def _payments(self, organization: Organization, rng: random.Random) -> None:
        """One payment for each paid or partly paid invoice, read back in id-ordered chunks."""
        settled = (
            Invoice.objects.filter(organization=organization, status__in=["paid", "open", "disputed"])
            .exclude(open_amount=models.F("amount"))
            .order_by("pk")
            .values_list("pk", "number", "issue_date", "due_date", "amount", "open_amount")
        )
        last = 0
        while chunk := list(settled.filter(pk__gt=last)[:PAYMENT_CHUNK]):
            last = chunk[-1][0]
            write_rows(Payment, PAYMENT_COLUMNS, _payment_rows(chunk, rng, self.today), organization_id=organization.pk)


def _tables() -> list[str]:
    return [model._meta.db_table for model in (Customer, Contact, Mandate, Invoice, Payment, ReceivablesDay)]


def _execute(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


PAYMENT_COLUMNS = ("invoice_id", "amount", "paid_on", "method", "reference")


def _payment_rows(chunk: list[tuple], rng: random.Random, today: date) -> Iterator[tuple]:
    for invoice_id, number, issue_date, due_date, amount, open_amount in chunk:
        paid_on = min(today, max(issue_date, due_date + timedelta(days=rng.randrange(-10, 31))))
        method = "direct_debit" if rng.random() < 0.1 else "bank_transfer"
        yield (invoice_id, amount - open_amount, paid_on, method, f"+++{number}+++")


# --- per-customer figures ----------------------------------------------------------------------------


def customers_refresh_figures(*, organization: Organization) -> None:
    """Open balance, invoice count, oldest open due date and valid e-mail for every customer.

    On PostgreSQL one UPDATE … FROM over grouped invoices and contacts (seconds for 200,000 customers,
    where the per-customer subqueries of `customers_refresh_stats_for_organization` take much longer);
    elsewhere the regular service.
    """
    if connection.vendor != "postgresql":
        customers_refresh_stats_for_organization(organization=organization)
        return
    customer, invoice, contact = (model._meta.db_table for model in (Customer, Invoice, Contact))
    owed = [str(status) for status in Invoice.OWED_STATUSES]
    statement = f"""
        UPDATE {customer} AS c
        SET open_balance = f.open_balance, invoice_count = f.invoice_count,
            oldest_open_due_date = f.oldest_open_due_date, has_valid_email = f.has_valid_email
        FROM (
            SELECT c0.id, COALESCE(s.open_balance, 0) AS open_balance, COALESCE(s.invoice_count, 0) AS invoice_count,
                   s.oldest_open_due_date, v.customer_id IS NOT NULL AS has_valid_email
            FROM {customer} AS c0
            LEFT JOIN (
                SELECT customer_id,
                       SUM(open_amount) FILTER (WHERE status = ANY(%(owed)s) AND UPPER(currency) = %(currency)s)
                           AS open_balance,
                       COUNT(*) AS invoice_count,
                       MIN(due_date) FILTER (WHERE status = ANY(%(owed)s)) AS oldest_open_due_date
                FROM {invoice} WHERE organization_id = %(organization)s GROUP BY customer_id
            ) AS s ON s.customer_id = c0.id
            LEFT JOIN (
                SELECT DISTINCT customer_id FROM {contact}
                WHERE organization_id = %(organization)s AND notify AND email_status = %(valid)s
            ) AS v ON v.customer_id = c0.id
            WHERE c0.organization_id = %(organization)s
        ) AS f
        WHERE c.id = f.id
    """  # noqa: S608
    params = {
        "owed": owed,
        "organization": organization.pk,
        "valid": str(EmailStatus.VALID),
        "currency": organization.currency.upper(),
    }
    balances = CustomerBalance._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        cursor.execute(f"DELETE FROM {balances} WHERE organization_id = %(organization)s", params)  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {balances} (organization_id, customer_id, currency, open_amount)
                SELECT organization_id, customer_id, UPPER(currency), SUM(open_amount) FROM {invoice}
                WHERE organization_id = %(organization)s AND status = ANY(%(owed)s)
                GROUP BY organization_id, customer_id, UPPER(currency)""",  # noqa: S608
            params,
        )
