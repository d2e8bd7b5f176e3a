"""API of dual monitoring: rounds, monitoring reports and their rows, treasury imports,
rectifications and funding actions (DESIGN §2.4, §2.6, §4).

Every queryset starts from ``visible_to(request.user)`` (out of scope: 404). Writes call the same
services as the pages; a role that never takes a write is refused with 403 before its body is
read, and a write the object's state forbids (a report under review, a confirmed rectification)
answers 409 with the reason.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from projects.models import Attachment
from workflow.api_mixins import (
    FILTER_BACKENDS,
    REFUSALS,
    TRANSITION_REFUSALS,
    ErrorSerializer,
    WorkflowActionsMixin,
    require,
    require_state,
)

from . import permissions, services, treasury
from .chains import RECTIFICATION_CHAIN, REPORT_CHAIN
from .filters import (
    FundingActionFilterSet,
    MonitoringReportFilterSet,
    MonitoringRoundFilterSet,
    MonitoringRowFilterSet,
    RectificationFilterSet,
    TreasuryImportFilterSet,
)
from .models import FundingAction, MonitoringReport, MonitoringRound, MonitoringRow, Rectification, TreasuryImport
from .serializers import (
    FundingActionCreateSerializer,
    FundingActionSerializer,
    FundingLiftSerializer,
    MonitoringReportDetailSerializer,
    MonitoringReportSerializer,
    MonitoringRoundDetailSerializer,
    MonitoringRoundSerializer,
    MonitoringRowSerializer,
    RectificationAnswerSerializer,
    RectificationSerializer,
    RectifyParamsSerializer,
    ReportFillSerializer,
    ReportProblemSerializer,
    ReportSaveResultSerializer,
    RoundOpenSerializer,
    TreasuryImportDetailSerializer,
    TreasuryImportSerializer,
    TreasuryUploadSerializer,
)

PROJECT_RELATED = ("project__fiscal_year", "project__department", "project__unit")


# --- rounds --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="监控批次列表"),
    retrieve=extend_schema(summary="监控批次详情（含本人可见监控表按状态、预警的统计）"),
    create=extend_schema(
        summary="开启监控批次并生成绩效监控表（财政绩效管理科）",
        request=RoundOpenSerializer,
        responses={201: MonitoringRoundDetailSerializer, **REFUSALS},
    ),
)
@extend_schema(tags=["monitoring-rounds"])
class MonitoringRoundViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """监控批次：各级填报、审核人员和财政可查看；财政绩效管理科开启（POST）和结束（close/）。"""

    filter_backends = FILTER_BACKENDS
    filterset_class = MonitoringRoundFilterSet
    ordering_fields = ["period_end", "due_date", "opened_at", "status"]

    def get_queryset(self):
        return MonitoringRound.objects.visible_to(self.request.user).select_related("fiscal_year", "opened_by")

    def get_serializer_class(self):
        return MonitoringRoundSerializer if self.action == "list" else MonitoringRoundDetailSerializer

    def _answer(self, monitoring_round, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=monitoring_round.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        require(permissions.can_manage_rounds(request.user))
        body = RoundOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        monitoring_round = services.open_round(
            request.user, data["fiscal_year"], data["kind"], data["number"], due_date=data["due_date"],
            note=data["note"],
        )
        return self._answer(monitoring_round, status.HTTP_201_CREATED)

    @extend_schema(
        summary="结束监控批次（不再接受报送）", request=None,
        responses={200: MonitoringRoundDetailSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        monitoring_round = self.get_object()
        require(permissions.can_manage_rounds(request.user))
        return self._answer(services.close_round(monitoring_round, request.user))


# --- reports -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="绩效监控表列表"),
    retrieve=extend_schema(summary="绩效监控表详情（含指标行及各预警的计算过程）"),
    partial_update=extend_schema(
        summary="填报绩效监控表（单位；填报中、已退回时）",
        request=ReportFillSerializer,
        responses={200: ReportSaveResultSerializer, **TRANSITION_REFUSALS},
    ),
)
@extend_schema(tags=["monitoring-reports"])
class MonitoringReportViewSet(
    WorkflowActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """绩效监控表：列表、详情、填报（PATCH）；problems/（报送前检查）；流程操作 POST submit/（报送）、
    approve/（主管部门审核通过）、return/（退回）、accept/（财政审核通过）、rectify/（通过并要求整改）；
    history/、actions/。"""

    serializer_class = MonitoringReportDetailSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = MonitoringReportFilterSet
    ordering_fields = [
        "project__code", "status", "light", "budget_light", "execution_rate", "budget_ratio", "state_changed_at",
        "submitted_at", "updated_at",
    ]
    workflow_chain = REPORT_CHAIN
    workflow_params = {"rectify": RectifyParamsSerializer}

    def get_queryset(self):
        reports = (
            MonitoringReport.objects.visible_to(self.request.user)
            .with_list_related()
            .select_related("project__fiscal_year", "target_sheet")
        )
        if self.action == "list":
            return reports
        # The detail's rows in table order, each with its indicator: one query whatever their number.
        rows = MonitoringRow.objects.select_related("indicator").order_by("position", "id")
        return reports.prefetch_related(Prefetch("rows", queryset=rows))

    def get_serializer_class(self):
        return MonitoringReportSerializer if self.action == "list" else MonitoringReportDetailSerializer

    def partial_update(self, request, *args, **kwargs):
        report = self.get_object()
        require(permissions.is_reporter(request.user, report.project))
        require_state(permissions.can_fill_report(request.user, report))
        body = ReportFillSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.save_report(report, request.user, body.to_service_data())
        report = self.get_object()
        problems = [{"message": message} for message in services.report_problems(report, list(report.rows.all()))]
        return Response({"object": self.get_serializer(report).data, "problems": problems})

    @extend_schema(
        summary="报送前检查：尚须填写或说明的内容",
        responses={200: ReportProblemSerializer(many=True), 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def problems(self, request, pk=None):
        report = self.get_object()
        messages = services.report_problems(report, list(report.rows.all()))
        return Response(ReportProblemSerializer([{"message": m} for m in messages], many=True).data)


@extend_schema_view(
    list=extend_schema(summary="监控指标行列表（含预警及计算过程）"),
    retrieve=extend_schema(summary="监控指标行详情"),
)
@extend_schema(tags=["monitoring-rows"])
class MonitoringRowViewSet(viewsets.ReadOnlyModelViewSet):
    """监控指标行（只读）：按监控表筛选（?report=ID）、按预警筛选；修改请填报监控表（PATCH）。"""

    serializer_class = MonitoringRowSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = MonitoringRowFilterSet
    ordering_fields = ["position", "light", "ratio"]

    def get_queryset(self):
        return MonitoringRow.objects.visible_to(self.request.user).select_related(
            "indicator", "report__round__fiscal_year"
        )


# --- treasury imports ----------------------------------------------------------------------


class CanViewTreasuryImports(BasePermission):
    """Treasury payments are finance's data: other roles are told so (as the pages do) rather than
    shown an empty list."""

    def has_permission(self, request, view):
        allowed, self.message = permissions.can_view_treasury(request.user)  # one instance per request
        return allowed


@extend_schema_view(
    list=extend_schema(summary="国库支付数据导入记录"),
    retrieve=extend_schema(summary="导入进度和结果（含逐行错误、未匹配的项目编码）"),
    create=extend_schema(
        summary="上传国库集中支付数据（排队导入，返回 202）",
        request={"multipart/form-data": TreasuryUploadSerializer},
        responses={202: TreasuryImportDetailSerializer, **REFUSALS},
    ),
)
@extend_schema(tags=["treasury-imports"])
class TreasuryImportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """国库支付数据导入：财政业务科室和绩效管理科上传，后台任务导入并报告进度；审计可查看。"""

    permission_classes = [IsAuthenticated, CanViewTreasuryImports]
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = FILTER_BACKENDS
    filterset_class = TreasuryImportFilterSet
    ordering_fields = ["uploaded_at", "status"]

    def get_queryset(self):
        imports = TreasuryImport.objects.visible_to(self.request.user).select_related("fiscal_year", "uploaded_by")
        if self.action == "list":
            return imports.defer("errors", "unmatched_codes")  # a failed import's report can be long
        return imports

    def get_serializer_class(self):
        return TreasuryImportSerializer if self.action == "list" else TreasuryImportDetailSerializer

    def create(self, request, *args, **kwargs):
        require(permissions.can_import_treasury(request.user))
        body = TreasuryUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        treasury_import = treasury.start_import(request.user, data["fiscal_year"], data["file"])
        treasury_import = self.get_queryset().get(pk=treasury_import.pk)
        return Response(self.get_serializer(treasury_import).data, status=status.HTTP_202_ACCEPTED)


# --- rectifications ------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="整改列表"),
    retrieve=extend_schema(summary="整改详情"),
    partial_update=extend_schema(
        summary="填写整改措施和整改情况（项目单位或主管部门）",
        request=RectificationAnswerSerializer,
        responses={200: RectificationSerializer, **TRANSITION_REFUSALS},
    ),
)
@extend_schema(tags=["rectifications"])
class RectificationViewSet(
    WorkflowActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """整改：列表、详情、填写（PATCH）；流程操作 POST submit/（报送整改情况）、confirm/（确认整改完成）、
    send_back/（退回重新整改）；history/、actions/。佐证材料以附件上传。"""

    serializer_class = RectificationSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = RectificationFilterSet
    ordering_fields = ["issued_at", "due_date", "status", "state_changed_at"]
    workflow_chain = RECTIFICATION_CHAIN

    def get_queryset(self):
        attachments = Attachment.objects.order_by("uploaded_at", "id")
        return (
            Rectification.objects.visible_to(self.request.user)
            .select_related(*PROJECT_RELATED, "content_type", "issued_by")
            .prefetch_related(Prefetch("attachments", queryset=attachments))
        )

    def partial_update(self, request, *args, **kwargs):
        rectification = self.get_object()
        require(permissions.is_answerer(request.user, rectification.project))
        require_state(permissions.can_answer_rectification(request.user, rectification))
        body = RectificationAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.answer_rectification(rectification, request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_object()).data)


# --- funding actions -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="资金处置列表"),
    retrieve=extend_schema(summary="资金处置详情"),
    create=extend_schema(
        summary="暂缓拨款、停止拨款或收回资金（财政绩效管理科）",
        request=FundingActionCreateSerializer,
        responses={201: FundingActionSerializer, **REFUSALS},
    ),
)
@extend_schema(tags=["funding-actions"])
class FundingActionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """资金处置：项目所在单位、主管部门和财政可查看；财政绩效管理科登记（POST）和解除（lift/）。"""

    serializer_class = FundingActionSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = FundingActionFilterSet
    ordering_fields = ["recorded_at", "amount", "status", "kind"]

    def get_queryset(self):
        return FundingAction.objects.visible_to(self.request.user).select_related(
            *PROJECT_RELATED, "recorded_by", "lifted_by"
        )

    def _answer(self, funding_action, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=funding_action.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        require(permissions.can_manage_funding(request.user))
        body = FundingActionCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        funding_action = services.record_funding_action(
            request.user, data["project"], kind=data["kind"], amount=data["amount"], reason=data["reason"],
            report=data["report"],
        )
        return self._answer(funding_action, status.HTTP_201_CREATED)

    @extend_schema(
        summary="解除暂缓或停止拨款（收回资金不能解除）",
        request=FundingLiftSerializer,
        responses={200: FundingActionSerializer, **TRANSITION_REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        funding_action = self.get_object()
        require(permissions.can_manage_funding(request.user))
        body = FundingLiftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.lift_funding_action(funding_action, request.user, body.validated_data["lift_reason"])
        return self._answer(funding_action)
