"""Hand-over between follow-up and collection when a mandate is signed or ends. Each receiver calls one service."""

from __future__ import annotations

from django.dispatch import receiver

from mandates.collection import collection_handover, collection_resume_follow_up
from mandates.signals import mandate_ended, mandate_signed


@receiver(mandate_signed, dispatch_uid="mandates.collection_handover")
def hand_over_to_collection(sender, mandate, actor=None, **kwargs) -> None:
    collection_handover(mandate=mandate, actor=actor)


@receiver(mandate_ended, dispatch_uid="mandates.collection_resume_follow_up")
def resume_follow_up(sender, mandate, actor=None, **kwargs) -> None:
    collection_resume_follow_up(mandate=mandate)
