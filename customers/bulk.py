"""The bulk-action framework: actions over a selection of customers, run as background jobs.

An app registers an action in its AppConfig.ready():

    register_bulk_action(BulkAction(name="assign_account_manager", label=_("Assign account manager"),
                                    form_class=AssignManagerForm, apply=apply_assign_manager))

`form_class(organization=...)` asks for the action's parameters; its `cleaned_params()` returns
JSON-safe values stored on the job. `apply(*, organization, customer_ids, params, actor)` handles one
chunk of ids (already scoped to the organization) and returns a ChunkResult. It must be safe to run a
chunk twice: a job resumed after a crash may repeat the chunk that was in progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms


@dataclass
class ChunkResult:
    succeeded: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"customer": id, "name": ..., "message": ...}


@dataclass(frozen=True)
class BulkAction:
    name: str
    label: Any
    form_class: type[forms.Form]
    apply: Callable[..., ChunkResult]
    describe: Callable[[dict[str, Any], Any], str] = lambda params, organization: ""


BULK_ACTIONS: dict[str, BulkAction] = {}


def register_bulk_action(action: BulkAction) -> None:
    BULK_ACTIONS[action.name] = action


def bulk_action_get(name: str) -> BulkAction | None:
    return BULK_ACTIONS.get(name)
