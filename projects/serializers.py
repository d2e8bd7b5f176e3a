"""Shapes of fiscal years, projects and pre-assessments in the API.

Serializers here parse and shape only. What makes a project or a score valid lives in the model
(``clean``) and the services; their ``ValidationError``s come back as 400 with field messages.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Agency, Expert, Organization

from . import services
from .choices import Conclusion, Dimension, PreAssessmentMode
from .models import DimensionScore, FiscalYear, PreAssessment, Project


class FiscalYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = FiscalYear
        fields = "__all__"


class PreAssessmentBriefSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    conclusion_display = serializers.CharField(source="get_conclusion_display", read_only=True)

    class Meta:
        model = PreAssessment
        fields = ["id", "status", "status_display", "mode", "conclusion", "conclusion_display"]


class ProjectSerializer(serializers.ModelSerializer):
    """A project as read (list and detail)."""

    year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    budget_wan = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, help_text="万元")
    budget_type_display = serializers.CharField(source="get_budget_type_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    needs_preassessment = serializers.BooleanField(read_only=True)
    preassessment_passed = serializers.BooleanField(read_only=True)
    preassessment = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id", "fiscal_year", "year", "code", "name", "department", "department_name", "unit", "unit_name",
            "responsible_person", "responsible_phone", "budget_amount", "budget_wan", "funding_source",
            "period_start", "period_end", "budget_type", "budget_type_display", "kind", "kind_display",
            "is_new", "is_major", "is_key", "description", "status", "status_display",
            "needs_preassessment", "preassessment_passed", "preassessment", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PreAssessmentBriefSerializer(allow_null=True))
    def get_preassessment(self, project):
        pa = getattr(project, "preassessment", None)
        return PreAssessmentBriefSerializer(pa).data if pa is not None else None


class ProjectWriteSerializer(serializers.ModelSerializer):
    """The body of POST/PUT/PATCH: exactly the fields ``services.create_project`` accepts."""

    class Meta:
        model = Project
        fields = list(services.PROJECT_FIELDS)
        extra_kwargs = {"unit": {"required": False, "help_text": "默认为本人所在单位"}}
        # Uniqueness of the code within a year is the model's to say (validate_unique in full_clean).
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # An id outside the caller's units reads as unknown: same 400, no existence leak.
        self.fields["unit"].queryset = services.units_for(request.user) if request else Organization.objects.none()


class ProjectBriefSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "year", "code", "name", "department", "department_name", "unit", "unit_name", "budget_amount"]


class DimensionScoreSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_dimension_display", read_only=True)

    class Meta:
        model = DimensionScore
        fields = ["dimension", "label", "score", "opinion"]


class PreAssessmentSerializer(serializers.ModelSerializer):
    project = ProjectBriefSerializer(read_only=True)
    mode_display = serializers.CharField(source="get_mode_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    conclusion_display = serializers.CharField(source="get_conclusion_display", read_only=True)
    agency_name = serializers.SerializerMethodField()
    experts = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()
    total_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True, allow_null=True, help_text="五个维度都评分后才有"
    )
    missing_dimensions = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = PreAssessment
        fields = [
            "id", "project", "mode", "mode_display", "agency", "agency_name", "experts", "status", "status_display",
            "summary", "scores", "total_score", "missing_dimensions", "conclusion", "conclusion_display",
            "conclusion_opinion", "state_changed_at", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_agency_name(self, pa) -> str | None:
        return pa.agency.organization.name if pa.agency_id else None

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(),
            help_text='[{"id": 专家 ID, "name": 姓名}]',
        )
    )
    def get_experts(self, pa):
        return [{"id": e.pk, "name": e.name} for e in pa.experts.all()]

    @extend_schema_field(DimensionScoreSerializer(many=True))
    def get_scores(self, pa):
        order = {value: i for i, value in enumerate(Dimension.values)}
        rows = sorted(pa.scores.all(), key=lambda row: order.get(row.dimension, len(order)))
        return DimensionScoreSerializer(rows, many=True).data


@extend_schema_field(OpenApiTypes.NUMBER)
class ScoreField(serializers.CharField):
    """A score as sent; ``services.save_preassessment`` parses it and says what is wrong, per dimension."""


class DimensionInputSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=Dimension.choices)
    score = ScoreField(required=False, allow_null=True, allow_blank=True, help_text="0–20，最多两位小数；空为未评分")
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


class PreAssessmentFillSerializer(serializers.Serializer):
    """PATCH body: the dimensions to change (others keep their values) and, optionally, the summary."""

    summary = serializers.CharField(required=False, allow_blank=True, help_text="评估综述")
    scores = DimensionInputSerializer(
        many=True, required=False, help_text="所列维度的得分和意见一并替换；未列出的维度保持不变"
    )

    def to_service_kwargs(self) -> dict:
        data = self.validated_data
        scores = {
            row["dimension"]: {"score": row.get("score"), "opinion": row["opinion"]} for row in data.get("scores", [])
        }
        return {"scores": scores, "summary": data.get("summary")}


class CommissionSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=PreAssessmentMode.choices, help_text="self 部门自行评估 / agency / experts")
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), required=False, allow_null=True)
    experts = serializers.PrimaryKeyRelatedField(queryset=Expert.objects.all(), many=True, required=False)


class ConcludeSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="", help_text="结论意见")
    conclusion = serializers.ChoiceField(
        choices=Conclusion.choices, required=False, allow_blank=True, default="",
        help_text="support 予以支持 / support_after_adjustment 调整后支持 / reject 不予支持",
    )
