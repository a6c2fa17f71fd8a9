"""python manage.py bench: time the registered scenarios on the benchmark organization (`make bench`).

    python manage.py bench [--scenario customers.filtered_list] [--runs 20] [--output bench-results]

Requests go through django.test.Client in this process, logged in as the bench owner, so the numbers
are server time. Writes report.json and report.md to --output and prints a table. A missed target is
reported, not an error: the exit code is 0 unless the set-up itself fails.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from customers.models import Customer
from devtools.bench.data import organization_slug, owner_email
from devtools.bench.registry import BenchContext, scenarios_all
from devtools.bench.runner import format_table, run_scenario, write_reports
from invoices.models import Invoice
from organizations.models import Organization, User


def _host() -> str:
    """A host name the settings accept, so requests are not refused as DisallowedHost."""
    plain = [host for host in settings.ALLOWED_HOSTS if host not in ("*",) and not host.startswith((".", "["))]
    return plain[0] if plain else "localhost"


class Command(BaseCommand):
    help = "Measure the registered benchmark scenarios and write bench-results/report.{json,md}."

    def add_arguments(self, parser):
        parser.add_argument("--organization", default=organization_slug("Bench", 1))
        parser.add_argument("--user", default=owner_email("Bench"), help="E-mail of the member to log in as.")
        parser.add_argument("--scenario", action="append", default=[], help="Only this scenario (or prefix).")
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--warmups", type=int, default=3)
        parser.add_argument("--output", default=str(settings.BASE_DIR / "bench-results"))
        parser.add_argument("--list", action="store_true", help="List the scenarios and stop.")

    def handle(self, *args, **options):
        scenarios = [s for s in scenarios_all() if _selected(s.name, options["scenario"])]
        if options["list"]:
            for item in scenarios:
                self.stdout.write(f"{item.name:<28} {item.target_ms:>9,.0f} ms  {item.description}")
            return
        if not scenarios:
            raise CommandError(f"No scenario matches {options['scenario']}.")
        context = self._context(options["organization"], options["user"])
        results = []
        for item in scenarios:
            self.stdout.write(f"Running {item.name} …")
            results.append(run_scenario(item, context, runs=options["runs"], warmups=options["warmups"]))
        json_path, markdown_path = write_reports(results, output=Path(options["output"]), meta=self._meta(context))
        self.stdout.write("")
        self.stdout.write(format_table(results))
        failed = [result.name for result in results if result.verdict != "PASS"]
        self.stdout.write("")
        if failed:
            self.stdout.write(self.style.WARNING(f"{len(failed)} of {len(results)} missed: {', '.join(failed)}"))
        else:
            self.stdout.write(self.style.SUCCESS(f"All {len(results)} scenarios met their targets."))
        self.stdout.write(f"Report: {json_path} and {markdown_path}")

    def _context(self, slug: str, email: str) -> BenchContext:
        organization = Organization.objects.filter(slug=slug).first()
        user = User.objects.filter(email=email).first()
        if organization is None or user is None:
            raise CommandError(f"Organization {slug!r} or user {email!r} is missing: run generate_data first.")
        client = Client(SERVER_NAME=_host())
        client.force_login(user)
        return BenchContext(organization=organization, user=user, client=client)

    def _meta(self, context: BenchContext) -> dict:
        organization = context.organization
        return {
            "database": f"{connection.vendor} {connection.Database.__name__} {_server_version()}".strip(),
            "organization": organization.slug,
            "customers": Customer.objects.filter(organization=organization).count(),
            "invoices": Invoice.objects.filter(organization=organization).count(),
            "debug": settings.DEBUG,
        }


def _selected(name: str, wanted: list[str]) -> bool:
    return not wanted or any(name == item or name.startswith(item) for item in wanted)


def _server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        return str(cursor.fetchone()[0]).split(" on ")[0]
