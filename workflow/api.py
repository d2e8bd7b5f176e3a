"""API pieces shared by every app: error format, workflow action mixin, audit log viewset."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .audit import AuditEventKind, record_event
from .errors import WorkflowError


def exception_handler(exc, context):
    """Every refusal is JSON with a ``detail`` a person can act on — never a 500 for bad input."""
    if isinstance(exc, WorkflowError):
        return Response({"detail": exc.message}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        if "detail" in messages and isinstance(messages["detail"], list):
            messages = {**messages, "detail": "；".join(messages["detail"])}
        return Response(messages, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_403_FORBIDDEN:
        request = context.get("request")
        record_event(
            AuditEventKind.PERMISSION_DENIED,
            user=getattr(request, "user", None),
            success=False,
            message=f"API {getattr(request, 'method', '')} {getattr(request, 'path', '')}"[:500],
        )
    if isinstance(exc, DjangoPermissionDenied) and response is None:
        return Response({"detail": str(exc) or "没有权限。"}, status=status.HTTP_403_FORBIDDEN)
    return response
