"""States, references and expiry of mandates: the rules in mandates/states.py and mandates/services.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from mandates.models import Mandate, MandateState
from mandates.services import (
    MandateError,
    mandate_cancel,
    mandate_prepare,
    mandate_reactivate,
    mandate_suspend,
    mandate_transition,
    mandates_expire_all_organizations,
    references_allocate,
)
from mandates.signals import mandate_ended, mandate_signed
from mandates.states import TRANSITIONS, TransitionError
from organizations.models import ActivityLog
from tests.factories import CustomerFactory


def test_every_state_has_its_transitions_declared():
    assert set(TRANSITIONS) == set(MandateState.values)
    assert TRANSITIONS[MandateState.CANCELLED] == TRANSITIONS[MandateState.EXPIRED] == frozenset()


@pytest.mark.parametrize(("start", "target"), [
    ("cancelled", "signed"), ("expired", "signed"), ("signed", "opened"), ("prepared", "suspended"),
    ("signed", "signing"), ("suspended", "opened"),
])  # fmt: skip
def test_refused_transitions_change_nothing(world, start, target):
    mandate = world.a.mandate
    Mandate.objects.filter(pk=mandate.pk).update(state=start)
    mandate.refresh_from_db()
    with pytest.raises(TransitionError):
        mandate_transition(mandate=mandate, to=target)
    mandate.refresh_from_db()
    assert mandate.state == start
    assert not ActivityLog.objects.filter(subject_id=mandate.pk, code=f"mandate.{target}").exists()


def test_suspend_and_reactivate_keep_the_signature_date_and_tell_listeners(world, django_capture_on_commit_callbacks):
    mandate, signed_at = world.a.mandate, world.a.mandate.signed_at
    ended, signed = [], []
    mandate_ended.connect(receiver := lambda **kw: ended.append(kw["mandate"].pk), weak=False)
    mandate_signed.connect(receiver2 := lambda **kw: signed.append(kw["mandate"].pk), weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            mandate_suspend(mandate=mandate, actor=world.owner_a.user, reason="Dispute")
        assert mandate.state == MandateState.SUSPENDED and ended == [mandate.pk]
        with django_capture_on_commit_callbacks(execute=True):
            mandate_reactivate(mandate=mandate, actor=world.owner_a.user)
        mandate.refresh_from_db()
        assert mandate.state == MandateState.SIGNED and mandate.signed_at == signed_at and signed == [mandate.pk]
    finally:
        mandate_ended.disconnect(receiver)
        mandate_signed.disconnect(receiver2)
    entries = ActivityLog.objects.filter(subject_id=mandate.pk, code__startswith="mandate.").order_by("id")
    assert list(entries.values_list("code", flat=True)) == ["mandate.suspended", "mandate.reactivated"]


def test_only_a_suspended_mandate_is_reactivated(world):
    with pytest.raises(MandateError):
        mandate_reactivate(mandate=world.a.mandate, actor=None)


def test_cancelling_needs_a_reason_and_is_final(world):
    with pytest.raises(MandateError) as refused:
        mandate_cancel(mandate=world.a.mandate, reason=" ", actor=world.owner_a.user)
    assert "reason" in refused.value.errors
    mandate_cancel(mandate=world.a.mandate, reason="Customer moved to another bank", actor=world.owner_a.user)
    assert world.a.mandate.state == MandateState.CANCELLED
    with pytest.raises(TransitionError):
        mandate_cancel(mandate=world.a.mandate, reason="again", actor=world.owner_a.user)


def test_b2b_mandates_are_refused_for_persons(world):
    world.a.profile.scheme = "B2B"
    world.a.profile.save()
    person = CustomerFactory(organization=world.org_a, type="person", name="Jan Janssens")
    with pytest.raises(MandateError) as refused:
        mandate_prepare(organization=world.org_a, customer=person, profile=world.a.profile)
    assert refused.value.errors["customer"][0].startswith("B2B mandates are only for companies; Jan Janssens")
    company = CustomerFactory(organization=world.org_a, type="company")
    assert mandate_prepare(organization=world.org_a, customer=company, profile=world.a.profile).scheme == "B2B"


def test_an_archived_profile_takes_no_new_mandates(world):
    world.a.profile.archived = True
    world.a.profile.save()
    with pytest.raises(MandateError):
        mandate_prepare(organization=world.org_a, customer=world.a.customer, profile=world.a.profile)


def test_a_customer_of_another_organization_is_refused(world):
    with pytest.raises(MandateError):
        mandate_prepare(organization=world.org_a, customer=world.b.customer, profile=world.a.profile)


def test_prepared_mandates_get_new_references_with_the_prefix_and_a_link_deadline(world):
    first = mandate_prepare(organization=world.org_a, customer=world.a.customer, profile=world.a.profile)
    second = mandate_prepare(organization=world.org_a, customer=world.a.customer, profile=world.a.profile)
    assert (first.reference, second.reference) == ("ACME-000002", "ACME-000003")
    assert first.link_expires_at - first.created_at > timedelta(days=29)
    assert first.debtor_name == world.a.customer.name and first.language == world.a.customer.language


def test_references_are_never_reused_even_after_a_mandate_is_deleted(world):
    mandate = mandate_prepare(organization=world.org_a, customer=world.a.customer, profile=world.a.profile)
    used = mandate.reference
    Mandate.objects.filter(pk=mandate.pk).delete()
    assert not Mandate.objects.filter(reference=used).exists()
    following = references_allocate(organization=world.org_a, prefix="ACME", count=3)
    assert used not in following and following == ["ACME-000003", "ACME-000004", "ACME-000005"]


def test_references_are_unique_per_organization_ignoring_case(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Mandate.objects.create(organization=world.org_a, customer=world.a.customer, profile=world.a.profile,
                               reference="mndt-000001")  # fmt: skip
    # Another organization may hold the same reference (world.b has MNDT-000001 too).
    assert Mandate.objects.filter(reference="MNDT-000001").count() == 2


def test_dormant_and_unsigned_mandates_expire_once(world, django_capture_on_commit_callbacks):
    now = timezone.now()
    dormant = world.a.mandate
    Mandate.objects.filter(pk=dormant.pk).update(signed_at=now - timedelta(days=3 * 365 + 5))
    recent = world.b.mandate
    Mandate.objects.filter(pk=recent.pk).update(signed_at=now - timedelta(days=4 * 365),
                                                last_collection_at=date.today() - timedelta(days=30))  # fmt: skip
    unsigned = mandate_prepare(organization=world.org_a, customer=world.a.customer, profile=world.a.profile)
    Mandate.objects.filter(pk=unsigned.pk).update(link_expires_at=now - timedelta(hours=1))
    waiting = mandate_prepare(organization=world.org_a, customer=world.a.customer, profile=world.a.profile)
    ended = []
    mandate_ended.connect(receiver := lambda **kw: ended.append(kw["mandate"].pk), weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert mandates_expire_all_organizations(now=now) == {"dormant": 1, "unsigned": 1}
    finally:
        mandate_ended.disconnect(receiver)
    states = dict(Mandate.objects.values_list("pk", "state"))
    assert states[dormant.pk] == states[unsigned.pk] == MandateState.EXPIRED
    assert states[recent.pk] == MandateState.SIGNED and states[waiting.pk] == MandateState.PREPARED
    assert ended == [dormant.pk]
    assert ActivityLog.objects.filter(code="mandate.expired", related_customer_id=world.a.customer.pk).count() == 2
    assert mandates_expire_all_organizations(now=now) == {"dormant": 0, "unsigned": 0}
