"""`Idempotency-Key` on every POST of the API, as Stripe defines it.

The same key with the same request (method, path, body) answers with the stored response (status, body,
`Location`), marked `Idempotent-Replayed: true`, without doing the work again; with another request it is 422;
while the first request still works it is 409. Keys are scoped per organization and principal (API key or
user) and kept 24 hours. A 5xx or 409 answer is not stored, so the client may retry with the same key.

`OrganizationScopedMixin` calls `idempotency_begin` once the organization is resolved, so every POST endpoint,
action endpoints included, has it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer

from organizations.api.exceptions import error_component
from organizations.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    request_fingerprint,
)
from organizations.models import ApiKey, IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
STORED_HEADERS = ("Location", "Retry-After")


class KeyReusedError(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _(
        "This Idempotency-Key was already used for another request (method, path or body). Use a new key for a "
        "new request."
    )


class KeyInProgressError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"
    default_detail = _("A request with this Idempotency-Key is still being processed. Retry in a moment.")
    wait = 1  # seconds: DRF's handler sends it as Retry-After


def idempotency_begin(view, request) -> None:
    """Claim the request's key and make the view's handler idempotent; answers a retry from the store."""
    key = request.headers.get(HEADER)
    handler = getattr(view, request.method.lower(), None)
    if request.method != "POST" or key is None or handler is None:
        return
    key = key.strip()
    # A control character (a NUL, which PostgreSQL cannot store) is no part of a key clients generate.
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError({HEADER: [_("Send a key of 1 to 255 characters, such as a UUID.")]})
    try:
        record = idempotency_claim(
            organization=view.organization, principal=_principal(request), key=key, fingerprint=_fingerprint(request)
        )
    except IdempotencyKeyReused as error:
        raise KeyReusedError from error
    except IdempotencyKeyInProgress as error:
        raise KeyInProgressError from error
    setattr(view, request.method.lower(), _idempotent(view, handler, record))


def replay_response(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(record.response_body, status=record.response_status, content_type="application/json")
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _idempotent(view, handler: Callable, record: IdempotencyKey) -> Callable:
    """The handler, run in one transaction with the key's completion; a failure answer is stored after rollback."""

    def run(request, *args, **kwargs):
        try:
            with transaction.atomic():
                response = handler(request, *args, **kwargs)
                if _kept(response.status_code) and hasattr(response, "data"):
                    idempotency_complete(record=record, **_stored(response))
                    return response
                # Not kept (a 5xx or 409 returned, not raised): undo what the handler wrote, so a retry with the
                # same key, which runs again, does not do the work twice.
                transaction.set_rollback(True)
        except Exception as exc:  # the work rolled back; answer as DRF would, and keep that answer
            try:
                response = view.handle_exception(exc)
            except Exception:
                idempotency_release(record=record)
                raise
            if _kept(response.status_code):
                idempotency_complete(record=record, **_stored(response))
                return response
        idempotency_release(record=record)
        return response

    return run


def _kept(status_code: int) -> bool:
    """A 5xx (our failure) and a 409 (a conflict with other work at that moment) are not kept: the client may
    retry with the same key, as Stripe does."""
    return status_code < 500 and status_code != status.HTTP_409_CONFLICT


def _stored(response) -> dict:
    body = JSONRenderer().render(response.data).decode() if response.data is not None else ""
    headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
    return {"status": response.status_code, "body": body, "headers": headers}


def _principal(request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"api_key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def _fingerprint(request) -> str:
    """Method, path with query and body. A multipart upload is hashed from its parsed fields and files (its raw
    body may be larger than Django reads into memory)."""
    digest = hashlib.sha256()
    if request.content_type.startswith("multipart/"):
        for name in sorted(request.data.keys()):
            for value in request.data.getlist(name):
                digest.update(f"{name}={value}\n".encode())
        for name in sorted(request.FILES.keys()):
            for upload in request.FILES.getlist(name):
                digest.update(f"{name}:{upload.name}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return request_fingerprint(method=request.method, path=request.get_full_path(), body_digest=digest.hexdigest())


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) of at most 255 characters. Retrying with the same key and the same request "
        "returns the first response (with `Idempotent-Replayed: true`) without doing the work twice; the same key "
        "with another method, path or body is 422; while the first request is still running, 409. Keys are kept "
        "24 hours, per API key. 5xx and 409 answers are not stored: retry them with the same key."
    ),
)


class IdempotentAutoSchema(AutoSchema):
    """Documents the `Idempotency-Key` header on every POST operation."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            return [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        return parameters


POST_RESPONSES = {
    "409": "`idempotency_key_in_progress`: a request with this Idempotency-Key is still running; retry shortly.",
    "422": "`idempotency_key_reused`: this Idempotency-Key was used for another request.",
}


def document_idempotency_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every POST also answers 409 and 422 for its Idempotency-Key."""
    reference = error_component(result)
    for operations in result.get("paths", {}).values():
        post = operations.get("post")
        if post is None:
            continue
        for code, description in POST_RESPONSES.items():
            post.setdefault("responses", {}).setdefault(
                code, {"description": description, "content": {"application/json": {"schema": reference}}}
            )
    return result
