"""python manage.py run_followups [--now 2026-12-01T09:00:00+01:00] [--dry-run] [--organization SLUG]

One decide + deliver pass, synchronously, printing what was decided and what happened to it.
"""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from messaging.delivery import deliver_one, due_dispatch_ids
from organizations.models import Organization
from reminders.decide import decide_due_cross_tenant, describe


class Command(BaseCommand):
    help = "Run one follow-up pass (decide, then deliver) and print the result."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time with offset; default: now")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be decided; write and send nothing")
        parser.add_argument("--organization", help="Only this organization (slug)")

    def handle(self, *args, now=None, dry_run=False, organization=None, **options):
        moment = self._moment(now)
        organization_ids = None
        if organization:
            found = Organization.objects.filter(slug=organization).first()
            if found is None:
                raise CommandError(f"No organization with slug {organization!r}.")
            organization_ids = [found.pk]
        decided = decide_due_cross_tenant(now=moment, dry_run=dry_run, organization_ids=organization_ids)
        self.stdout.write(f"Decided {len(decided)} at {moment.isoformat()}{' (dry run)' if dry_run else ''}:")
        if dry_run:
            lines = describe(decided)
        else:
            lines = [
                f"{d.customer} · {d.step} · " + ", ".join(i.invoice.number for i in d.items.all()) for d in decided
            ]
        for line in lines:
            self.stdout.write(f"  {line}")
        if dry_run:
            return
        ids = [i for i in due_dispatch_ids(now=moment, limit=100000)
               if organization_ids is None or self._belongs(i, organization_ids)]  # fmt: skip
        for dispatch_id in ids:
            dispatch = deliver_one(dispatch_id=dispatch_id, now=moment)
            if dispatch:
                reason = f" — {dispatch.reason}" if dispatch.reason else ""
                label = dispatch.subject or dispatch.step
                self.stdout.write(f"  #{dispatch.pk} {dispatch.get_status_display()}: {label}{reason}")
        self.stdout.write(f"Delivered {len(ids)} dispatch(es).")

    def _moment(self, value: str | None) -> datetime:
        if not value:
            return timezone.now()
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as error:
            raise CommandError(f"--now must be ISO 8601, e.g. 2026-12-01T09:00:00+01:00 ({error})") from error
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

    def _belongs(self, dispatch_id: int, organization_ids: list[int]) -> bool:
        from messaging.models import Dispatch

        return Dispatch.objects.filter(pk=dispatch_id, organization_id__in=organization_ids).exists()
