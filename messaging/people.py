"""Asking a person to act on a message: the app that keeps the to-do list registers its desk here.

The outbox needs a person when it cannot finish a message by itself: it gave up after its retries
(`send_failed`), a worker died while calling the provider (`check_arrival`), the provider reported a bounce
(`email_bounced`). Which list the question lands on, and who is asked, is the business of the app above
(reminders registers its tasks in RemindersConfig.ready).
"""

from __future__ import annotations

from typing import Protocol

from messaging.models import Dispatch


class Desk(Protocol):
    def ask(self, dispatch: Dispatch, code: str, *, newest: bool = False, **params) -> None:
        """Open the dispatch's question `code` for a person; `newest`: it replaces an earlier question."""

    def answered(self, dispatch: Dispatch) -> None:
        """The open question about whether the message arrived is answered (the provider confirmed it)."""


_desks: list[Desk] = []


def register_desk(desk: Desk) -> None:
    _desks[:] = [desk]


def ask_person(dispatch: Dispatch, code: str, *, newest: bool = False, **params) -> None:
    for desk in _desks:
        desk.ask(dispatch, code, newest=newest, **params)


def question_answered(dispatch: Dispatch) -> None:
    for desk in _desks:
        desk.answered(dispatch)
