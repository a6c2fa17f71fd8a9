"""Hooks a higher app fills in (AppConfig.ready) so customer pages can show its information without this
app importing it (organizations/hooks.py)."""

from __future__ import annotations

from organizations.hooks import Hook

explain_follow_up = Hook("the follow-up engine's explanation for a customer")
register_customer_follow_up_explainer = explain_follow_up.register
