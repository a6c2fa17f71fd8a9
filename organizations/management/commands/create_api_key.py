"""python manage.py create_api_key --organization SLUG --name NAME [--scope read|read_write]

Prints the secret as the last line, so scripts can take it with `tail -n 1`.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from organizations.models import ApiKeyScope, Organization
from organizations.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organization and print its secret (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="Organization slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", choices=ApiKeyScope.values, default=ApiKeyScope.READ_WRITE)

    def handle(self, *args, organization: str, name: str, scope: str, **options):
        found = Organization.objects.filter(slug=organization).first()
        if found is None:
            raise CommandError(f"No organization with slug {organization!r}.")
        api_key, secret = api_key_create(organization=found, name=name, scope=scope)
        self.stdout.write(f"Created API key {api_key.name!r} ({api_key.get_scope_display()}) for {found.name}.")
        self.stdout.write("Store it now; it is not shown again:")
        self.stdout.write(secret)
