"""Project-level pages: the health check, the favicon and the error pages."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from collect.celery import app as celery_app
from collect.tasks import HEARTBEAT_CACHE_KEY


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        return False, type(error).__name__
    return True, connection.vendor


def _broker_ok() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
            transport = broker.transport_cls
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        return False, type(error).__name__
    return True, str(transport)


@never_cache
def healthz(request):
    """Database and broker status; 503 when either is down. The worker heartbeat is informational."""
    database_ok, database_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    heartbeat = None
    try:
        heartbeat = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception:  # noqa: BLE001 - the cache is not part of the verdict
        heartbeat = None
    healthy = database_ok and broker_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "time": timezone.now().isoformat(),
        "database": {"ok": database_ok, "detail": database_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "worker": {"last_heartbeat": heartbeat},
    }
    return JsonResponse(body, status=200 if healthy else 503)


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (downloads, error pages): send the app's icon."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("collect/favicon.svg"), permanent=True)


def page_not_found(request, exception):
    """An API client that asks for an address the API does not have gets the API's error shape, not a page."""
    if request.path.startswith("/api/"):
        error = {"code": "not_found", "message": str(_("Not found."))}
        return JsonResponse({"error": error}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    """A request Django refuses before any view (more form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS, a body
    over DATA_UPLOAD_MAX_MEMORY_SIZE): an API client gets the API's error shape."""
    if request.path.startswith("/api/"):
        error = {"code": "bad_request", "message": str(_("The request was refused: it is too large or malformed."))}
        return JsonResponse({"error": error}, status=400)
    return defaults.bad_request(request, exception)
