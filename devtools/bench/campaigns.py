"""Campaign benchmarks (issue 5), found by the registry's autodiscovery (`bench_scenarios`).

- campaigns.invite_100k: the "Invite to sign a mandate" bulk job over the first 100,000 customers of the bench
  organization (by id), run to the end in this process exactly as a worker runs it (chunks of
  customers.jobs.CHUNK_SIZE): 100,000 mandates in state invited, invitations, and one e-mail queued in the outbox
  per customer with a valid address. Customers who already signed are included (the form's confirmation box),
  so every selected customer gets an invitation. Afterwards the rows it made are deleted again (the
  reference counter keeps going up: references are never reused), so the scenario can run again.
"""

from __future__ import annotations

import time as clock

from django.db import connection, transaction

from campaigns.bulk_actions import INVITE_TO_SIGN
from campaigns.models import Campaign, Invitation
from customers.jobs import bulk_job_create, bulk_job_run
from customers.models import BulkJob, BulkJobStatus, Customer
from devtools.bench.registry import BenchContext, Outcome, scenario
from mandates.models import Mandate, MandateProfile
from messaging.models import Dispatch
from organizations.models import ActivityLog

INVITED = 100_000
LIMIT_S = 60
CAMPAIGN_NAME = "Bench invitation campaign"


@scenario(
    "campaigns.invite_100k",
    f"Invite {INVITED:,} customers to sign (bulk job: mandates, invitations, e-mails queued); target {LIMIT_S} s",
    target_ms=LIMIT_S * 1000,
    runs=1,
    warmups=0,
)
def invite_100k(context: BenchContext) -> Outcome:
    organization = context.organization
    profile = MandateProfile.objects.filter(organization=organization, scheme="CORE").order_by("pk").first()
    if profile is None:
        return Outcome(ok=False, reason="the bench organization has no CORE mandate profile")
    ids = list(Customer.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True)[:INVITED])
    if len(ids) < INVITED:
        return Outcome(ok=False, reason=f"the bench organization has only {len(ids):,} customers")
    _clean_up(organization)
    params = {"profile": profile.pk, "campaign": None, "campaign_name": CAMPAIGN_NAME, "include_signed": True}
    started = clock.perf_counter()
    job = bulk_job_create(organization=organization, action=INVITE_TO_SIGN.name, params=params, ids=ids,
                          filter_query="", select_all=False, actor=context.user)  # fmt: skip
    bulk_job_run(job_id=job.pk)
    elapsed = (clock.perf_counter() - started) * 1000
    job.refresh_from_db()
    campaign = Campaign.objects.get(organization=organization, name=CAMPAIGN_NAME)
    invitations = Invitation.objects.filter(campaign=campaign).count()
    queued = Dispatch.objects.filter(organization=organization, dedupe_key__startswith="mandate-invitation:",
                                     mandate__invitation__campaign=campaign).count()  # fmt: skip
    extra = {"invitations": invitations, "emails_queued": queued, "without_email": job.failed,
             "status": job.status}  # fmt: skip
    _clean_up(organization)
    if job.status != BulkJobStatus.DONE or invitations != INVITED:
        return Outcome(ok=False, reason=f"job {job.status}: {invitations:,} invitations", extra=extra)
    return Outcome(elapsed_ms=elapsed, extra=extra)


def _clean_up(organization) -> None:
    """Delete what an earlier run made: its campaign, invitations, mandates, queued e-mails and log lines."""
    campaign = Campaign.objects.filter(organization=organization, name=CAMPAIGN_NAME).first()
    if campaign is None:
        return
    with transaction.atomic():
        mandate_ids = list(Mandate.objects.filter(invitation__campaign=campaign).values_list("pk", flat=True))
        invitation_ids = list(Invitation.objects.filter(campaign=campaign).values_list("pk", flat=True))
        logs = ActivityLog.objects.filter(organization=organization)
        logs.filter(code="invitation.created", subject_id__in=invitation_ids)._raw_delete(connection.alias)
        logs.filter(code__startswith="campaign.", subject_id=campaign.pk)._raw_delete(connection.alias)
        # Raw deletes: the rows were just made and nothing else points at them yet.
        Dispatch.objects.filter(
            organization=organization, subject_type=Mandate._meta.label_lower, subject_id__in=mandate_ids
        )._raw_delete(connection.alias)
        Invitation.objects.filter(campaign=campaign)._raw_delete(connection.alias)
        Mandate.objects.filter(pk__in=mandate_ids)._raw_delete(connection.alias)
        campaign.delete()
        BulkJob.objects.filter(organization=organization, action=INVITE_TO_SIGN.name).delete()
