"""Walk every URL route of the project and find, for each, an object of a given organization.

New pages and endpoints are covered without editing the tests: a route that takes an object id must
declare the model it looks up (`model` on the view class or viewset), or the walk fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

ORGANIZATION_KWARG = "organization_slug"
OBJECT_KWARGS = {"pk"}
# Values for route parameters that are not objects (a template's purpose and language, …).
SAMPLE_KWARGS = {"purpose": "reminder_1", "language": "fr", "name": "aging"}
SKIPPED_PREFIXES = ("admin/",)  # platform administration: superusers only, tested separately


@dataclass
class Route:
    pattern: str
    name: str | None
    kwargs: set[str]
    view_class: type | None
    methods: frozenset[str] = frozenset()

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def model(self) -> type[Model] | None:
        return getattr(self.view_class, "model", None)


def _view_class(callback) -> type | None:
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def _methods(callback, view_class) -> frozenset[str]:
    """The HTTP methods the route answers: a viewset's action map, or the handlers a view defines."""
    actions = getattr(callback, "actions", None)
    if actions:
        return frozenset(actions)
    names = getattr(view_class, "http_method_names", ["get", "post", "put", "patch", "delete"])
    names = [name for name in names if name not in ("options", "head", "trace")]
    return frozenset(name for name in names if view_class is not None and hasattr(view_class, name))


def routes(resolver=None, prefix: str = "", namespace: str = "", inherited: frozenset = frozenset()) -> list[Route]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if pattern.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            child_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += routes(entry, pattern, child_namespace, inherited | set(entry.pattern.regex.groupindex))
        elif isinstance(entry, URLPattern):
            kwargs = set(entry.pattern.regex.groupindex) | inherited
            name = f"{namespace}{entry.name}" if entry.name else None
            view_class = _view_class(entry.callback)
            found.append(Route(pattern, name, kwargs, view_class, _methods(entry.callback, view_class)))
    return found


def object_routes(*, api: bool) -> list[Route]:
    """Routes that look up one object by id, on the API or in the HTML pages."""
    return [route for route in routes() if route.is_api == api and route.kwargs & OBJECT_KWARGS]


def organization_routes() -> list[Route]:
    return [route for route in routes() if ORGANIZATION_KWARG in route.kwargs]


def rows_of(model: type[Model], organization):
    """The model's rows of the organization; for rows of the whole tenant (memberships), the tenant's."""
    names = {field.name for field in model._meta.get_fields()}
    if "organization" in names:
        return model._default_manager.filter(organization=organization)
    return model._default_manager.filter(tenant_id=organization.tenant_id)


def object_of(model: type[Model], organization) -> Model:
    instance = rows_of(model, organization).order_by("pk").first()
    assert instance is not None, f"The test world has no {model.__name__} in {organization}; add one to conftest."
    return instance
