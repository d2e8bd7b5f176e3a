"""API pieces every stage's viewsets share: role gates, the error shape, and the workflow actions.

``WorkflowActionsMixin`` turns a chain declared as data (workflow/chains.py) into endpoints:
``POST /<pk>/<action>/`` for each action of the chain, ``GET /<pk>/history/`` and
``GET /<pk>/actions/``. The rules stay in ``perform_transition``; refusals come back as
``{"detail": ...}`` with the status of the WorkflowError (400 rule, 403 role, 404 scope, 409 order).
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.choices import Role

from .chains import Chain
from .models import ReviewRecord
from .services import perform_transition
from .transition_views import review_history


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal (workflow.api.exception_handler)."""

    detail = serializers.CharField(help_text="可直接展示给用户的中文说明")


# Searching is the filterset's ``q`` (shared with the pages), so DRF's SearchFilter is left out.
FILTER_BACKENDS = [DjangoFilterBackend, OrderingFilter]

# Responses every write may answer besides success (for the OpenAPI document).
REFUSALS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
TRANSITION_REFUSALS = {**REFUSALS, 409: ErrorSerializer}


def require(answer: tuple[bool, str]):
    """Raise 403 with the reason of a ``(allowed, reason)`` permission answer (STYLE habit 4).

    Called before the body is parsed, so a role that may never write gets 403, not a 400 about
    its data. The service checks the same function again: the rule lives in permissions.py.
    """
    allowed, reason = answer
    if not allowed:
        raise PermissionDenied(reason)


class Conflict(APIException):
    """409: the object's state forbids the write (a locked sheet, a report under review)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "当前状态不允许此操作。"


def require_state(answer: tuple[bool, str]):
    """Raise 409 with the reason when only the object's state refuses the write (after ``require``
    has let the role through)."""
    allowed, reason = answer
    if not allowed:
        raise Conflict(reason)


def role_permission(*roles: str, message: str) -> type[BasePermission]:
    """A DRF permission letting only ``roles`` (and superusers) through, refusing with ``message``."""

    class HasRole(BasePermission):
        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(*roles)))

    HasRole.message = message
    HasRole.__name__ = f"HasRole_{'_'.join(sorted(roles))}"
    return HasRole


class ReviewRecordSerializer(serializers.ModelSerializer):
    chain_label = serializers.SerializerMethodField(help_text="流程名称")
    actor_name = serializers.SerializerMethodField(help_text="处理人姓名")
    actor_role_label = serializers.SerializerMethodField(help_text="处理人角色")

    class Meta:
        model = ReviewRecord
        fields = [
            "id", "chain", "chain_label", "action", "decision", "step", "from_state", "to_state",
            "actor", "actor_name", "actor_role", "actor_role_label", "opinion", "at",
        ]

    def get_chain_label(self, record) -> str:
        return getattr(record, "chain_label", record.chain)  # set by review_history / run_transition

    def get_actor_name(self, record) -> str:
        return str(record.actor)

    def get_actor_role_label(self, record) -> str:
        return Role(record.actor_role).label if record.actor_role in Role.values else record.actor_role


class TransitionRequestSerializer(serializers.Serializer):
    opinion = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="审核意见；退回时必填"
    )


class AvailableActionSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="POST 到 <对象>/<action>/")
    label = serializers.CharField()
    opinion_required = serializers.BooleanField()
    style = serializers.CharField(help_text="按钮颜色（Bootstrap）")


def _chain_actions(chain: Chain) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.action for t in chain.transitions))


class WorkflowActionsMixin:
    """Mix into a viewset whose model has ``workflow_chain``; declare the same chain here.

    ``workflow_actions`` limits the generated endpoints (default: every action of the chain);
    ``workflow_params`` maps an action to the serializer of its body when it needs more than
    ``opinion`` (e.g. the conclusion of a pre-assessment).
    """

    workflow_chain: Chain | None = None
    workflow_actions: tuple[str, ...] = ()
    workflow_params: dict[str, type[serializers.Serializer]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        chain = cls.__dict__.get("workflow_chain")
        if chain is None:
            return
        result = inline_serializer(
            name=f"{cls.__name__.removesuffix('ViewSet')}TransitionResult",
            fields={"object": cls.serializer_class(), "record": ReviewRecordSerializer()},
        )
        for name in cls.workflow_actions or _chain_actions(chain):
            setattr(cls, f"{name}_transition", _transition_endpoint(chain, name, cls.workflow_params, result))

    def run_transition(self, request, name: str, params_serializer):
        obj = self.get_object()  # out of scope: 404 before anything else is said
        params = params_serializer(data=request.data)
        params.is_valid(raise_exception=True)
        record = perform_transition(obj, name, request.user, **params.validated_data)
        record.chain_label = obj.workflow_chain.label
        obj = self.get_object()
        return Response({"object": self.get_serializer(obj).data, "record": ReviewRecordSerializer(record).data})

    @extend_schema(summary="审核记录", responses={200: ReviewRecordSerializer(many=True), 404: ErrorSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        records = review_history(*self.history_subjects(self.get_object()))
        return Response(ReviewRecordSerializer(records, many=True).data)

    def history_subjects(self, obj) -> list:
        """Whose review records make up the object's history (a project adds its pre-assessment's)."""
        return [obj]

    @extend_schema(
        summary="当前用户可执行的流程操作", responses={200: AvailableActionSerializer(many=True), 404: ErrorSerializer}
    )
    @action(
        detail=True, methods=["get"], url_path="actions", url_name="actions", filter_backends=[], pagination_class=None
    )
    def available_actions(self, request, pk=None):
        obj = self.get_object()
        transitions = obj.workflow_chain.available(obj, request.user)
        return Response(AvailableActionSerializer(transitions, many=True).data)


def _transition_endpoint(chain: Chain, name: str, params: dict, result):
    labels = "／".join(dict.fromkeys(t.label for t in chain.named(name)))
    params_serializer = params.get(name, TransitionRequestSerializer)

    def endpoint(self, request, pk=None):
        return self.run_transition(request, name, params_serializer)

    endpoint.__name__ = f"{name}_transition"
    endpoint.__doc__ = f"{chain.label}：{labels}。返回更新后的对象和本次审核记录。"
    endpoint = action(detail=True, methods=["post"], url_path=name, url_name=name, filter_backends=[])(endpoint)
    return extend_schema(
        summary=f"{chain.label}·{labels}",
        request=params_serializer,
        responses={200: result, **TRANSITION_REFUSALS},
    )(endpoint)
