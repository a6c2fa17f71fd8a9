"""Task titles stored language-neutral: a code and its parameters, shown in the reader's language.

A task opened by a worker is read later by members who may use another interface language, so the row keeps
`title_code` + `title_params`, and `Task.display_title` renders them with gettext at display time. The plain
`title` column keeps the text in the organization's language (searches, exports, rows from before the codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

TASK_TITLES = {
    "find_valid_email": _("Find a valid e-mail address for %(customer)s"),
    "email_refused": _("E-mail to %(customer)s was refused; check the address"),
    "send_failed": _("Reminder to %(customer)s could not be sent"),
    "check_arrival": _("Check whether the reminder to %(customer)s arrived"),
    "email_bounced": _("E-mail to %(email)s (%(customer)s) bounced; find a valid address"),
    "post_letter_instead": _(
        "Send a letter by post to %(customer)s (the e-mail was refused; postal sending is not "
        "connected yet, so post it yourself)"
    ),
    "step_task": _("%(step)s: %(customer)s"),
    "decide_next_step": _("Decide the next step for %(customer)s"),
    "send_letter": _("Send a letter by post to %(customer)s"),
}


@dataclass(frozen=True)
class TaskTitle:
    code: str
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return render_task_title(self.code, self.params)


def task_title(code: str, **params: Any) -> TaskTitle:
    """A title to store: names and other parameters are kept as text, the sentence is chosen at display time."""
    assert code in TASK_TITLES, code
    return TaskTitle(code, {name: str(value) for name, value in params.items()})


def render_task_title(code: str, params: dict[str, Any] | None, fallback: str = "") -> str:
    """The title in the active language; `fallback` (the stored text) for rows without a known code."""
    template = TASK_TITLES.get(code or "")
    if template is None:
        return fallback
    try:
        return str(template) % (params or {})
    except (KeyError, TypeError, ValueError):
        return fallback
