"""API of the project library and pre-assessment (DESIGN §2.1, §2.2, §4).

Every queryset starts from ``visible_to(request.user)`` (out of scope: 404). Writes call the same
services as the pages; the serializers only parse the body and shape the answer.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from accounts.choices import Role
from accounts.models import Expert
from workflow.api_mixins import FILTER_BACKENDS, REFUSALS, WorkflowActionsMixin, require, role_permission

from . import permissions, services
from .chains import PREASSESSMENT_CHAIN, PROJECT_CHAIN
from .filters import PreAssessmentFilterSet, ProjectFilterSet
from .models import FiscalYear, PreAssessment, Project
from .serializers import (
    CommissionSerializer,
    ConcludeSerializer,
    FiscalYearSerializer,
    PreAssessmentFillSerializer,
    PreAssessmentSerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
)


class _OfficeWrites(role_permission(Role.PERFORMANCE_OFFICE, message="只有财政绩效管理科可以修改预算年度规则。")):
    """Anyone signed in reads the fiscal years; only the performance office writes them."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or super().has_permission(request, view)


class FiscalYearCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, label="年度")


class FiscalYearRulesSerializer(serializers.ModelSerializer):
    """PUT/PATCH body: the year's rules (``year`` itself never changes)."""

    class Meta:
        model = FiscalYear
        fields = [*services.FISCAL_YEAR_RULE_FIELDS, "is_current"]
        validators = []  # the one-current-year rule is update_fiscal_year's


@extend_schema_view(
    create=extend_schema(
        summary="新增预算年度（采用默认规则）",
        request=FiscalYearCreateSerializer,
        responses={201: FiscalYearSerializer, **REFUSALS},
    ),
    update=extend_schema(request=FiscalYearRulesSerializer, responses={200: FiscalYearSerializer, **REFUSALS}),
    partial_update=extend_schema(request=FiscalYearRulesSerializer, responses={200: FiscalYearSerializer, **REFUSALS}),
)
@extend_schema(tags=["fiscal-years"])
class FiscalYearViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """预算年度及其各项年度规则：登录用户均可查看，财政绩效管理科可新增和修改。"""

    permission_classes = [IsAuthenticated, _OfficeWrites]
    serializer_class = FiscalYearSerializer
    filter_backends = FILTER_BACKENDS
    filterset_fields = ["is_current"]
    ordering_fields = ["year"]
    ordering = ["-year"]

    def get_queryset(self):
        return FiscalYear.objects.visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        body = FiscalYearCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        year = services.create_fiscal_year(request.user, body.validated_data["year"])
        return Response(FiscalYearSerializer(year).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        year = self.get_object()
        body = FiscalYearRulesSerializer(year, data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        year = services.update_fiscal_year(year, request.user, body.validated_data)
        return Response(FiscalYearSerializer(year).data)


@extend_schema_view(
    create=extend_schema(
        summary="新建项目（草稿）", request=ProjectWriteSerializer, responses={201: ProjectSerializer, **REFUSALS}
    ),
    update=extend_schema(request=ProjectWriteSerializer, responses={200: ProjectSerializer, **REFUSALS}),
    partial_update=extend_schema(request=ProjectWriteSerializer, responses={200: ProjectSerializer, **REFUSALS}),
)
@extend_schema(tags=["projects"])
class ProjectViewSet(
    WorkflowActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """项目库：列表、详情、新建、修改；流程操作 POST submit/（申报）、approve/（审核通过）、return/（退回）。"""

    serializer_class = ProjectSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ProjectFilterSet
    ordering_fields = ["code", "name", "budget_amount", "period_start", "status", "created_at", "updated_at"]
    workflow_chain = PROJECT_CHAIN

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).with_list_related()

    def history_subjects(self, project):
        # As on the project page: the pre-assessment's steps belong to the project's history.
        return [project, getattr(project, "preassessment", None)]

    def create(self, request, *args, **kwargs):
        require(permissions.can_create_project(request.user))
        body = ProjectWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        project = services.create_project(request.user, body.validated_data)
        project = self.get_queryset().get(pk=project.pk)
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        project = self.get_object()
        require(permissions.can_edit_project(request.user, project))
        body = ProjectWriteSerializer(
            project, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        services.update_project(project, request.user, body.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="发起事前绩效评估", request=None, responses={201: PreAssessmentSerializer, **REFUSALS}
    )
    @action(detail=True, methods=["post"], url_path="start-preassessment", url_name="start-preassessment")
    def start_preassessment(self, request, pk=None):
        project = self.get_object()
        require(permissions.can_start_preassessment(request.user, project))
        pa = services.start_preassessment(project, request.user)
        pa = PreAssessmentViewSet.optimise(PreAssessment.objects.filter(pk=pa.pk)).get()
        return Response(PreAssessmentSerializer(pa).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    partial_update=extend_schema(
        summary="填写评估维度得分与意见",
        request=PreAssessmentFillSerializer,
        responses={200: PreAssessmentSerializer, **REFUSALS},
    ),
)
@extend_schema(tags=["preassessments"])
class PreAssessmentViewSet(
    WorkflowActionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """事前绩效评估：列表、详情、填写五个维度；流程操作 POST submit/、approve/、return/、conclude/（出具结论）。"""

    serializer_class = PreAssessmentSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = PreAssessmentFilterSet
    ordering_fields = ["updated_at", "created_at", "status", "state_changed_at"]
    ordering = ["-updated_at", "-id"]
    workflow_chain = PREASSESSMENT_CHAIN
    workflow_params = {"conclude": ConcludeSerializer}

    @staticmethod
    def optimise(queryset):
        return queryset.select_related(
            "project__fiscal_year", "project__department", "project__unit", "agency__organization"
        ).prefetch_related("scores", Prefetch("experts", queryset=Expert.objects.order_by("name")))

    def get_queryset(self):
        return self.optimise(PreAssessment.objects.visible_to(self.request.user))

    def partial_update(self, request, *args, **kwargs):
        pa = self.get_object()
        require(permissions.can_fill_preassessment(request.user, pa))
        body = PreAssessmentFillSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.save_preassessment(pa, request.user, **body.to_service_kwargs())
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="委托第三方机构或专家评估",
        request=CommissionSerializer,
        responses={200: PreAssessmentSerializer, **REFUSALS},
    )
    @action(detail=True, methods=["post"])
    def commission(self, request, pk=None):
        pa = self.get_object()
        require(permissions.can_commission_preassessment(request.user, pa))
        body = CommissionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.commission_preassessment(pa, request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

