"""Hooks a higher app fills in (AppConfig.ready) so invoice pages can show its information without this
app importing it (organizations/hooks.py)."""

from __future__ import annotations

from organizations.hooks import Hook

explain_follow_up = Hook("the follow-up engine's explanation of an invoice")
register_follow_up_explainer = explain_follow_up.register

# Whether the organization has a default follow-up plan (every customer without a plan of its own is followed up).
has_default_follow_up_plan = Hook("whether the organization has a default follow-up plan")
