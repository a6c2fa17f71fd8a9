from __future__ import annotations

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Tools for developers and operators, above every app: demo seeding (`seed_demo`), data generation
    (`generate_data`), the bench harness (`bench`, devtools/bench/), the load test (devtools/load/) and the chaos
    run (devtools/chaos.py). No app imports it."""

    name = "devtools"
    verbose_name = "Developer tools"
