"""Hooks a higher app fills in (in its AppConfig.ready) so invoice pages can show its information
without this app importing it. Today: the follow-up engine's explanation of an invoice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_follow_up_explainer: Callable[[Any], Any] | None = None


def register_follow_up_explainer(explainer: Callable[[Any], Any]) -> None:
    global _follow_up_explainer  # noqa: PLW0603 - a single registration at start-up
    _follow_up_explainer = explainer


def explain_follow_up(invoice) -> Any:
    return _follow_up_explainer(invoice) if _follow_up_explainer else None
