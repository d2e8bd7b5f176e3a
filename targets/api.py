"""API of the indicator library, target sheets and their review (DESIGN §2.3, §4).

Every queryset starts from ``visible_to(request.user)`` (out of scope: 404). Writes call the same
services as the pages (services.py, _library().py); the serializers only parse the body and shape
the answer. An approved sheet is locked: a write to it answers 409 with the lock message.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.choices import Role
from workflow.api_mixins import (
    FILTER_BACKENDS,
    REFUSALS,
    TRANSITION_REFUSALS,
    ErrorSerializer,
    ReviewRecordSerializer,
    WorkflowActionsMixin,
    require,
    require_state,
    role_permission,
)
from workflow.services import check_transition

from . import library, services
from .chains import TARGET_CHAIN
from .checks import check_sheet
from .diff import diff_sheets
from .filters import ExpertReviewFilterSet, IndicatorFilterSet, IndicatorTemplateFilterSet, TargetSheetFilterSet
from .models import ExpertReview, Indicator, IndicatorTemplate, TargetSheet
from .serializers import (
    AdjustmentRequestSerializer,
    BatchApproveSerializer,
    BatchResultSerializer,
    ExpertReviewSerializer,
    ExpertReviewSubmitSerializer,
    IndicatorSerializer,
    IndicatorTemplateProposalSerializer,
    IndicatorTemplateSerializer,
    IndicatorTemplateWriteSerializer,
    ProblemSerializer,
    SendToExpertsSerializer,
    SheetCreateSerializer,
    SheetDiffSerializer,
    SheetSaveResultSerializer,
    SheetWriteSerializer,
    TargetSheetBriefSerializer,
    TargetSheetSerializer,
    TemplateDecisionSerializer,
)

# --- indicator library ---------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        summary="新增指标模板（绩效管理科）",
        request=IndicatorTemplateWriteSerializer,
        responses={201: IndicatorTemplateSerializer, **REFUSALS},
    ),
    update=extend_schema(
        request=IndicatorTemplateWriteSerializer, responses={200: IndicatorTemplateSerializer, **REFUSALS}
    ),
    partial_update=extend_schema(
        request=IndicatorTemplateWriteSerializer, responses={200: IndicatorTemplateSerializer, **REFUSALS}
    ),
)
@extend_schema(tags=["indicator-templates"])
class IndicatorTemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """指标库：登录用户均可查阅已确认的模板；财政绩效管理科新增、修改、确认（confirm/）或不采纳（reject/）；
    主管部门和单位可提议本领域的模板（propose/），确认前只有本部门和财政可见。"""

    serializer_class = IndicatorTemplateSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = IndicatorTemplateFilterSet
    ordering_fields = ["code", "name", "level1", "level2", "field", "status", "created_at"]

    def get_queryset(self):
        return IndicatorTemplate.objects.visible_to(self.request.user).select_related("proposed_by")

    def _answer(self, template, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=template.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        require(library.can_manage_library(request.user))
        body = IndicatorTemplateWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(library.create_template(request.user, body.validated_data), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        template = self.get_object()
        require(library.can_manage_library(request.user))
        body = IndicatorTemplateWriteSerializer(template, data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        return self._answer(library.update_template(template, request.user, body.validated_data))

    @extend_schema(
        summary="提议新的指标模板（主管部门、单位）",
        request=IndicatorTemplateProposalSerializer,
        responses={201: IndicatorTemplateSerializer, **REFUSALS},
    )
    @action(detail=False, methods=["post"])
    def propose(self, request):
        require(library.can_propose_template(request.user))
        body = IndicatorTemplateProposalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(library.propose_template(request.user, body.validated_data), status.HTTP_201_CREATED)

    @extend_schema(
        summary="确认提议的模板，纳入指标库",
        request=TemplateDecisionSerializer,
        responses={200: IndicatorTemplateSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._decide(library.confirm_template)

    @extend_schema(
        summary="不采纳提议的模板",
        request=TemplateDecisionSerializer,
        responses={200: IndicatorTemplateSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(library.reject_template)

    def _decide(self, decide):
        template = self.get_object()
        require(library.can_manage_library(self.request.user))
        body = TemplateDecisionSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        return self._answer(decide(template, self.request.user, body.validated_data["opinion"]))


# --- target sheets -------------------------------------------------------------------------


def require_editable(sheet: TargetSheet, user):
    """Before a body is read: 403 for a role that never writes targets, 409 for a sheet whose state
    forbids writing — the lock first of all (services.save_sheet checks the same again)."""
    require(services.can_write_targets(user, sheet.project))
    require_state(services.can_edit_sheet(user, sheet))  # says LOCKED_MESSAGE for a locked sheet


@extend_schema_view(
    list=extend_schema(summary="绩效目标表列表（含指标）；adjustment=true 为调整申请"),
    create=extend_schema(
        summary="为项目新建绩效目标表（第 1 版，填报中）",
        request=SheetCreateSerializer,
        responses={201: TargetSheetSerializer, **REFUSALS},
    ),
    update=extend_schema(
        summary="保存总体目标和全部指标行",
        request=SheetWriteSerializer,
        responses={200: SheetSaveResultSerializer, **TRANSITION_REFUSALS},
    ),
    partial_update=extend_schema(
        summary="保存总体目标和/或全部指标行",
        request=SheetWriteSerializer,
        responses={200: SheetSaveResultSerializer, **TRANSITION_REFUSALS},
    ),
)
@extend_schema(tags=["target-sheets"])
class TargetSheetViewSet(
    WorkflowActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """绩效目标表：列表、详情、新建、保存；流程操作 POST submit/（提交）、approve/（审核通过／批复）、
    return/（退回）、send_to_experts/（送专家评审）、experts_done/；adjust/（调整申请）、
    batch-approve/（批量审核）；versions/、problems/、history/、actions/。"""

    serializer_class = TargetSheetSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = TargetSheetFilterSet
    ordering_fields = ["version", "status", "state_changed_at", "created_at", "updated_at", "approved_at"]
    workflow_chain = TARGET_CHAIN
    workflow_params = {"send_to_experts": SendToExpertsSerializer}

    @staticmethod
    def optimise(queryset):
        # One query each for the page, its rows and its expert reviews, whatever their number.
        return queryset.with_list_related().prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("period", "position", "id")),
            Prefetch("expert_reviews", queryset=ExpertReview.objects.select_related("expert").order_by("id")),
        )

    def get_queryset(self):
        return self.optimise(TargetSheet.objects.visible_to(self.request.user))

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), role_permission(Role.UNIT_STAFF, message="绩效目标由项目单位填报。")()]
        if self.action == "batch_approve":
            return [
                IsAuthenticated(),
                role_permission(
                    Role.DEPT_REVIEWER, Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE,
                    message="只有审核人员可以批量审核。",
                )(),
            ]
        return super().get_permissions()

    def _sheet(self, pk):
        return self.get_queryset().get(pk=pk)

    def create(self, request, *args, **kwargs):
        body = SheetCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        sheet = services.create_sheet(body.validated_data["project"], request.user)
        return Response(self.get_serializer(self._sheet(sheet.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        sheet = self.get_object()
        require_editable(sheet, request.user)
        body = SheetWriteSerializer(
            data=request.data,
            partial=kwargs.get("partial", False),
            templates=IndicatorTemplate.objects.visible_to(request.user),
        )
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.save_sheet(
            sheet,
            request.user,
            overall_goal=data.get("overall_goal"),
            whole_period_goal=data.get("whole_period_goal"),
            rows=[dict(row) for row in data["rows"]] if "rows" in data else None,
        )
        return Response(
            {
                "object": self.get_serializer(self._sheet(sheet.pk)).data,
                "problems": ProblemSerializer(result.problems, many=True).data,
            }
        )

    def run_transition(self, request, name, params_serializer):
        if name != "send_to_experts":
            return super().run_transition(request, name, params_serializer)
        # Experts are assigned by the service (recusal, pool), which then takes the step; the
        # step's own checks come first so a wrong role or state is told before the body.
        sheet = self.get_object()
        check_transition(sheet, name, request.user)
        body = SendToExpertsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = services.send_to_experts(sheet, request.user, **body.validated_data)
        record.chain_label = TARGET_CHAIN.label
        return Response(
            {"object": self.get_serializer(self._sheet(sheet.pk)).data, "record": ReviewRecordSerializer(record).data}
        )

    @extend_schema(
        summary="申请调整（已批复的现行版本 → 新版本，填报中）",
        request=AdjustmentRequestSerializer,
        responses={201: TargetSheetSerializer, **TRANSITION_REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        sheet = self.get_object()
        require(services.can_write_targets(request.user, sheet.project))
        body = AdjustmentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = services.request_adjustment(sheet, request.user, body.validated_data["reason"])
        return Response(self.get_serializer(self._sheet(new.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="批量审核通过（每张表各自一条审核记录）",
        request=BatchApproveSerializer,
        responses={200: BatchResultSerializer(many=True), 400: ErrorSerializer, 403: ErrorSerializer},
    )
    @action(
        detail=False, methods=["post"], url_path="batch-approve", url_name="batch-approve",
        filter_backends=[], pagination_class=None,
    )
    def batch_approve(self, request):
        body = BatchApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(body.validated_data["ids"]))
        results = services.approve_many(ids, request.user, body.validated_data["opinion"])
        return Response(BatchResultSerializer(results, many=True).data)

    @extend_schema(
        summary="该项目的全部版本", responses={200: TargetSheetBriefSerializer(many=True), 404: ErrorSerializer}
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def versions(self, request, pk=None):
        sheet = self.get_object()
        versions = TargetSheet.objects.visible_to(request.user).filter(project=sheet.project_id).order_by("version")
        return Response(TargetSheetBriefSerializer(versions, many=True).data)

    @extend_schema(
        summary="两个版本逐行对比（调整前后）",
        responses={200: SheetDiffSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    @action(
        detail=True, methods=["get"], url_path=r"diff/(?P<other_id>\d+)", url_name="diff",
        filter_backends=[], pagination_class=None,
    )
    def diff(self, request, pk=None, other_id=None):
        sheet = self.get_object()
        other = self.get_queryset().filter(pk=other_id).first()
        if other is None:
            raise NotFound("未找到要对比的版本。")
        if other.project_id != sheet.project_id:
            raise ValidationError({"detail": "只能对比同一项目的不同版本。"})
        old, new = sorted((sheet, other), key=lambda s: s.version)
        result = diff_sheets(old, new)
        return Response(
            SheetDiffSerializer(
                {
                    "old": old, "new": new, "goals": result.goals, "rows": result.rows,
                    "added": result.added, "removed": result.removed, "changed": result.changed,
                }
            ).data
        )

    @extend_schema(
        summary="按现有内容检查（提交时的同一套检查）",
        responses={200: ProblemSerializer(many=True), 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def problems(self, request, pk=None):
        return Response(ProblemSerializer(check_sheet(self.get_object()), many=True).data)


# --- indicators and expert reviews ---------------------------------------------------------


@extend_schema(tags=["indicators"])
class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """绩效指标（只读）：按绩效目标表筛选（?sheet=ID）；修改请保存整张目标表。"""

    serializer_class = IndicatorSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = IndicatorFilterSet
    ordering_fields = ["position", "weight", "level1"]

    def get_queryset(self):
        return Indicator.objects.visible_to(self.request.user).select_related("sheet__project__fiscal_year")


@extend_schema(tags=["expert-reviews"])
class ExpertReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """专家评审：专家查看并提交分配给自己的评审；财政和项目所在部门、单位可查看其目标表的评审。"""

    serializer_class = ExpertReviewSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ExpertReviewFilterSet
    ordering_fields = ["id", "submitted_at"]
    ordering = ["-id"]

    def get_queryset(self):
        user = self.request.user
        reviews = ExpertReview.objects.filter(sheet__in=TargetSheet.objects.visible_to(user).values("pk"))
        if user.is_authenticated and user.has_role(Role.EXPERT):
            reviews = reviews.filter(expert__user=user)  # an expert sees only their own review
        return reviews.select_related(
            "expert", "sheet__project__fiscal_year", "sheet__project__department", "sheet__project__unit"
        )

    @extend_schema(
        summary="提交评分和评审意见",
        request=ExpertReviewSubmitSerializer,
        responses={200: ExpertReviewSerializer, **TRANSITION_REFUSALS},
    )
    @action(detail=True, methods=["post"], permission_classes=[
        IsAuthenticated, role_permission(Role.EXPERT, message="只有评审专家可以提交评审意见。")
    ])
    def submit(self, request, pk=None):
        review = self.get_object()
        body = ExpertReviewSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.submit_expert_review(review, request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)
