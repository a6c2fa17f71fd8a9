"""python manage.py generate_data: a large synthetic tenant for benchmarks (`make bench`).

    python manage.py generate_data --organizations 10 --customers 200000 --invoices 1000000

Tenant "Bench" gets organizations bench-1 … bench-N. The first holds the given customers and invoices,
each other one 1 % of them, so queries must filter by organization for real. Members: the owner
bench-owner@bench.example (password from BENCH_PASSWORD, else "bench-password-2026") and five account
managers. Refuses to touch an existing tenant unless --replace, which deletes its rows first.
"""

from __future__ import annotations

import os
import time

from django.core.management.base import BaseCommand, CommandError

from devtools.bench.data import DEFAULT_PASSWORD, BenchData, Phases, Sizes, TenantHasData, owner_email
from organizations.models import Tenant


class Command(BaseCommand):
    help = "Generate a large benchmark tenant (COPY on PostgreSQL, bulk_create elsewhere)."

    def add_arguments(self, parser):
        parser.add_argument("--organizations", type=int, default=10)
        parser.add_argument("--customers", type=int, default=200_000, help="Customers of the first organization.")
        parser.add_argument("--invoices", type=int, default=1_000_000, help="Invoices of the first organization.")
        parser.add_argument("--tenant", default="Bench", help="Tenant name; organization slugs derive from it.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="Delete the tenant's rows first.")
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing when the tenant exists already (make bench)."
        )

    def handle(self, *args, **options):
        if options["organizations"] < 1 or options["customers"] < 1 or options["invoices"] < 0:
            raise CommandError("Need at least one organization and one customer.")
        if options["if_missing"] and not options["replace"] and Tenant.objects.filter(name=options["tenant"]).exists():
            self.stdout.write(f"Tenant {options['tenant']!r} exists; keeping it (--replace rebuilds it).")
            return
        sizes = Sizes(options["organizations"], options["customers"], options["invoices"])
        phases = Phases(report=self.stdout.write)
        generator = BenchData(
            tenant_name=options["tenant"], sizes=sizes, seed=options["seed"], replace=options["replace"],
            password=os.environ.get("BENCH_PASSWORD") or DEFAULT_PASSWORD, phases=phases,
        )  # fmt: skip
        started = time.perf_counter()
        try:
            generator.run()
        except TenantHasData as error:
            raise CommandError(str(error)) from error
        self.stdout.write("Time per phase:")
        for name, seconds in phases.totals.items():
            self.stdout.write(f"  {name:<20} {seconds:8.2f} s")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s. "
                                             f"Log in as {owner_email(options['tenant'])}."))  # fmt: skip
