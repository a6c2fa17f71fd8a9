"""The layers of the apps hold for what import-linter cannot see: foreign keys named by string and
`apps.get_model`. The import contracts themselves (pyproject.toml, [tool.importlinter]) run in `make test`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERS = next(contract["layers"] for contract in CONFIG["contracts"] if contract["type"] == "layers")
# Height of each app: 0 for the lowest layer.
HEIGHT = {app.strip(): len(LAYERS) - 1 - index for index, layer in enumerate(LAYERS) for app in layer.split("|")}
# Upward references that remain, each with the step that removes it. This list only shrinks.
KNOWN_UPWARD = {
    ("customers", "reminders", "Customer.follow_up_plan"),  # invert through a registration, or move the field
    ("messaging", "reminders", "Dispatch.step"),  # a follow-up record of its own in reminders
}
GET_MODEL = re.compile(r"""apps\.get_model\(\s*["'](\w+)["']""")


def upward(source: str, target: str) -> bool:
    return source in HEIGHT and target in HEIGHT and HEIGHT[target] > HEIGHT[source]


def test_no_foreign_key_points_up_a_layer():
    found = set()
    for model in apps.get_models():
        source = model._meta.app_label
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is not None:
                target = field.related_model._meta.app_label
                if upward(source, target):
                    found.add((source, target, f"{model.__name__}.{field.name}"))
    assert found <= KNOWN_UPWARD, sorted(found - KNOWN_UPWARD)


def test_no_get_model_reaches_up_a_layer():
    found = []
    for app in HEIGHT:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for target in GET_MODEL.findall(path.read_text()):
                if upward(app, target):
                    found.append(f"{path.relative_to(ROOT)} -> {target}")
    assert set(found) <= KNOWN_GET_MODEL, sorted(set(found) - KNOWN_GET_MODEL)


# `apps.get_model` calls that reach up, until customers' pages and filters get what they show through
# registrations filled by the apps above. This list only shrinks.
KNOWN_GET_MODEL = {
    "customers/stats.py -> invoices",
}


def test_the_layers_name_every_app_once():
    assert sorted(HEIGHT) == sorted(set(HEIGHT))
    assert set(HEIGHT) <= set(CONFIG["root_packages"])
