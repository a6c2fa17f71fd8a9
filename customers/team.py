"""A leaving member's customers go to the account manager chosen in the removal dialog (organizations/team.py)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.services import customers_assign_account_manager
from organizations.models import Membership, Organization
from organizations.selectors import account_managers_list
from organizations.services import Actor
from organizations.team import MemberWork


def managed_customers_count(membership: Membership) -> int:
    return Customer.objects.filter(account_manager=membership).count()


def customer_successors(membership: Membership, organization: Organization) -> QuerySet[Membership]:
    return account_managers_list(organization=organization).exclude(pk=membership.pk)


def customers_hand_over(*, membership: Membership, successor: Membership | None, actor: Actor) -> int:
    """Every customer `membership` manages, in every organization of the tenant, goes to `successor`."""
    by_organization: dict[int, list[int]] = defaultdict(list)
    for customer_id, organization_id in Customer.objects.filter(account_manager=membership).values_list(
        "pk", "organization_id"
    ):
        by_organization[organization_id].append(customer_id)
    moved = 0
    for organization in Organization.objects.filter(pk__in=by_organization):
        customer_ids = by_organization[organization.pk]
        customers_assign_account_manager(
            organization=organization, customer_ids=customer_ids, manager=successor, actor=actor
        )
        moved += len(customer_ids)
    return moved


CUSTOMERS_WORK = MemberWork(
    name="customers",
    label=_("Their customers go to"),
    count=managed_customers_count,
    successors=customer_successors,
    hand_over=customers_hand_over,
    nobody_label=_("No account manager"),
)
