"""API pieces shared by every app: the error format and the audit log viewset (the workflow action
mixin is in api_mixins.py)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.choices import Role

from .api_mixins import FILTER_BACKENDS, role_permission
from .audit import AuditEventKind, record_event
from .errors import WorkflowError
from .filters import AuditEventFilterSet
from .models import AuditEvent


def exception_handler(exc, context):
    """Every refusal is JSON with a ``detail`` a person can act on — never a 500 for bad input."""
    if isinstance(exc, WorkflowError):
        return Response({"detail": exc.message}, status=exc.status_code)
    if isinstance(exc, Http404):
        # Missing and out of scope read the same (no existence leak), in the words NotInScope uses.
        return Response({"detail": "未找到该记录。"}, status=status.HTTP_404_NOT_FOUND)
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



class AuditEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    role_label = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id", "at", "kind", "kind_display", "user", "username", "role", "role_label", "ip",
            "object_type", "object_id", "object_repr", "success", "before", "after", "message",
        ]
        read_only_fields = fields

    def get_role_label(self, event) -> str:
        return Role(event.role).label if event.role in Role.values else event.role


@extend_schema(tags=["audit"])
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """审计日志: read-only for the auditor and the performance office; nobody can change it."""

    permission_classes = [
        IsAuthenticated,
        role_permission(
            Role.AUDITOR, Role.PERFORMANCE_OFFICE, message="只有审计人员和财政绩效管理科可以查看审计日志。"
        ),
    ]
    serializer_class = AuditEventSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = AuditEventFilterSet
    ordering_fields = ["at", "kind", "username"]
    ordering = ["-at", "-id"]

    def get_queryset(self):
        return AuditEvent.objects.visible_to(self.request.user)
