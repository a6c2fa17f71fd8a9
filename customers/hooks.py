"""Hooks a higher app fills in (AppConfig.ready) so customer pages can show its information without this
app importing it (organizations/hooks.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from organizations.hooks import Hook

explain_follow_up = Hook("the follow-up engine's explanation for a customer")
register_customer_follow_up_explainer = explain_follow_up.register

# The customer's mandates, as a queryset correlated to the customer row (`customer=OuterRef("pk")`): the agreement
# filters ask it (registered by mandates).
customer_mandates = Hook("the mandates of the customer in the outer query")

# The options of customer filters that name another app's records ("profile": mandate profiles, "follow_up_plan":
# follow-up plans): filter name -> function(organization) -> [(value, label)], registered by the owning app.
FILTER_CHOICES: dict[str, Callable[[Any], list[tuple[str, str]]]] = {}


def register_filter_choices(name: str, choices: Callable[[Any], list[tuple[str, str]]]) -> None:
    FILTER_CHOICES[name] = choices


def filter_choices_for(name: str, organization) -> list[tuple[str, str]]:
    choices = FILTER_CHOICES.get(name)
    return choices(organization) if choices else []
