"""One place a higher app plugs into a lower one: the lower app declares a `Hook`, the higher app registers its
function in AppConfig.ready, and the lower app calls the hook without importing the higher one. Unregistered, a
hook answers None (the page shows nothing of the app that is not installed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, purpose: str) -> None:
        self.purpose = purpose  # what the registered function answers, for readers of the code
        self._function: Callable[..., Any] | None = None

    def register(self, function: Callable[..., Any]) -> None:
        """A single registration at start-up; a later one replaces it."""
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._function(*args, **kwargs) if self._function else None
