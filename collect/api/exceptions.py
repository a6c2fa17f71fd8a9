"""One error shape for the whole API: {"error": {"code", "message", "fields"?}}.

Django ValidationErrors raised by services become 400 responses with the same shape as serializer errors.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        error = {"code": getattr(data["detail"], "code", "error"), "message": str(data["detail"])}
    else:
        error = {"code": "invalid", "message": "Some fields are invalid.", "fields": data}
    response.data = {"error": error}
    return response
