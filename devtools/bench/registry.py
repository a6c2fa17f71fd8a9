"""The scenario registry: what `manage.py bench` measures.

A scenario is a named callable that performs its operation once and returns an Outcome. Register one
with the `scenario` decorator, in devtools/bench/scenarios.py or in the module of its app's scenarios
(devtools/bench/<app>.py, imported by `scenarios_all`):

    @scenario("invoices.detail", "GET one invoice page", target_ms=100)
    def invoice_detail(context: BenchContext) -> Outcome:
        return Outcome.of(context.client.get(f"/o/{context.organization.slug}/invoices/1/"))

The runner warms it up, times it (or takes `Outcome.elapsed_ms` when the callable timed only part of
its work itself) and counts its SQL queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.test import Client

from organizations.models import Organization, User


@dataclass
class BenchContext:
    organization: Organization
    user: User
    client: Client  # logged in as `user`


@dataclass
class Outcome:
    ok: bool = True
    reason: str = ""  # why it failed, e.g. "HTTP 404"
    http_status: int | None = None
    elapsed_ms: float | None = None  # set when only part of the call is the measured work
    extra: dict[str, Any] = field(default_factory=dict)  # shown in the report (counts, rates)

    @classmethod
    def of(cls, response) -> Outcome:
        ok = response.status_code == 200
        return cls(ok=ok, reason="" if ok else f"HTTP {response.status_code}", http_status=response.status_code)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    target_ms: float
    run: Callable[[BenchContext], Outcome]
    runs: int | None = None  # None: the runner's default (20); 1 for expensive one-off operations
    warmups: int | None = None  # None: the runner's default (3)


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, description: str, *, target_ms: float, runs: int | None = None, warmups: int | None = None):
    def register(function: Callable[[BenchContext], Outcome]) -> Callable[[BenchContext], Outcome]:
        SCENARIOS[name] = Scenario(name, description, target_ms, function, runs=runs, warmups=warmups)
        return function

    return register


# The built-in scenarios first, then each app's, from the lowest app up.
SCENARIO_MODULES = (
    "devtools.bench.scenarios",
    "devtools.bench.invoices",
    "devtools.bench.mandates",
    "devtools.bench.campaigns",
    "devtools.bench.follow_up",
    "devtools.bench.reports",
    "devtools.bench.pages",
)


def scenarios_all() -> list[Scenario]:
    """Every registered scenario, in registration order (built-in ones first)."""
    for module in SCENARIO_MODULES:  # importing a module registers its scenarios
        import_module(module)
    return list(SCENARIOS.values())
