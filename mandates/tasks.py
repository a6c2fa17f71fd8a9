from __future__ import annotations

import logging

from celery import shared_task

from mandates.services import mandates_expire_all_organizations

logger = logging.getLogger(__name__)


@shared_task(name="mandates.expire")
def expire() -> dict[str, int]:
    """Daily: dormant signed mandates (36 months without a collection) and unsigned ones past their link."""
    counts = mandates_expire_all_organizations()
    logger.info("Mandates expired: %(dormant)s dormant, %(unsigned)s unsigned past their link", counts)
    return counts
