"""Shapes of the indicator library, target sheets, indicators and expert reviews in the API.

Serializers parse and shape only. The checks of a sheet (checks.py), the lock and the chain
(services.py, chains.py) and the library's rules (library.py) answer for what is valid; their
errors come back as ``{"detail": ...}`` or per-field messages.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Expert
from projects.models import Project
from projects.serializers import ProjectBriefSerializer

from . import library
from .checks import too_low_flag
from .choices import Comparator, IndicatorPeriod, Level1, Level2
from .models import ExpertReview, Indicator, IndicatorTemplate, TargetSheet

# --- indicator library ---------------------------------------------------------------------


class IndicatorTemplateSerializer(serializers.ModelSerializer):
    level1_display = serializers.CharField(source="get_level1_display", read_only=True)
    level2_display = serializers.CharField(source="get_level2_display", read_only=True)
    scope_display = serializers.CharField(source="get_scope_display", read_only=True)
    field_display = serializers.CharField(source="get_field_display", read_only=True)
    comparator_display = serializers.CharField(source="get_comparator_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    proposed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorTemplate
        fields = [
            "id", "code", "name", "level1", "level1_display", "level2", "level2_display", "scope", "scope_display",
            "field", "field_display", "comparator", "comparator_display", "unit", "suggested_value",
            "data_source", "scoring_note", "status", "status_display", "proposed_by", "proposed_by_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_proposed_by_name(self, template) -> str | None:
        return template.proposed_by.name if template.proposed_by_id else None


class IndicatorTemplateWriteSerializer(serializers.ModelSerializer):
    """The office's body (create, update): the fields ``library.create_template`` accepts."""

    class Meta:
        model = IndicatorTemplate
        fields = list(library.TEMPLATE_FIELDS)
        # Unique codes and the level-2-under-level-1 rule are the model's (full_clean in library.py).
        validators = []
        extra_kwargs = {"code": {"validators": [], "required": False, "help_text": "留空时自动编号"}}


class IndicatorTemplateProposalSerializer(serializers.ModelSerializer):
    """A department's proposal: code and scope are the office's to decide."""

    class Meta:
        model = IndicatorTemplate
        fields = list(library.PROPOSAL_FIELDS)


class TemplateDecisionSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="", help_text="确认或不采纳的说明")


# --- indicators ----------------------------------------------------------------------------


class IndicatorSerializer(serializers.ModelSerializer):
    period_display = serializers.CharField(source="get_period_display", read_only=True)
    level1_display = serializers.CharField(source="get_level1_display", read_only=True)
    level2_display = serializers.CharField(source="get_level2_display", read_only=True)
    comparator_display = serializers.CharField(source="get_comparator_display", read_only=True)
    value_display = serializers.CharField(read_only=True, help_text="如“≥20间”；定性指标为其指标值")
    too_low = serializers.SerializerMethodField(help_text="目标偏低提示（上年实际已超出目标的年度比例）；无则为空")

    class Meta:
        model = Indicator
        fields = [
            "id", "sheet", "period", "period_display", "position", "level1", "level1_display", "level2",
            "level2_display", "name", "comparator", "comparator_display", "target_value", "target_text", "unit",
            "value_display", "weight", "last_year_actual", "template", "note", "too_low",
        ]
        read_only_fields = fields

    def get_too_low(self, row) -> str:
        # The sheet's project and year come joined (select_related), so this costs no query.
        if row.period != IndicatorPeriod.YEAR:
            return ""
        return too_low_flag(row, row.sheet.project.fiscal_year.target_too_low_pct)


def _values(choices) -> str:
    return " / ".join(f"{value} {label}" for value, label in choices.choices)


class IndicatorRowSerializer(serializers.Serializer):
    """One row as sent. Choices and numbers are read by ``services.build_rows``, whose messages
    name the row (第3行：…); here they are only strings."""

    period = serializers.CharField(
        required=False, allow_blank=True, default=IndicatorPeriod.YEAR,
        help_text=f"{_values(IndicatorPeriod)}；默认 year",
    )
    level1 = serializers.CharField(allow_blank=True, help_text=_values(Level1))
    level2 = serializers.CharField(allow_blank=True, help_text=_values(Level2))
    name = serializers.CharField(allow_blank=True, max_length=200, help_text="三级指标名称")
    comparator = serializers.CharField(allow_blank=True, help_text=_values(Comparator))
    target_value = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="定量指标值")
    target_text = serializers.CharField(required=False, allow_blank=True, default="", help_text="定性指标值")
    unit = serializers.CharField(required=False, allow_blank=True, default="", help_text="计量单位")
    weight = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="权重")
    last_year_actual = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="上年实际值（用于目标偏低提示）"
    )
    template = serializers.IntegerField(required=False, allow_null=True, help_text="指标库模板 ID")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SheetWriteSerializer(serializers.Serializer):
    """PUT/PATCH body: the goals and the whole table of rows (the rows given replace all rows)."""

    overall_goal = serializers.CharField(allow_blank=True, help_text="年度总体目标")
    whole_period_goal = serializers.CharField(
        required=False, allow_blank=True, help_text="实施期总目标（实施期超过一年的项目必填）"
    )
    rows = IndicatorRowSerializer(many=True, help_text="全部指标行，按顺序；给出即整体替换")

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = templates  # the templates the caller may link (IndicatorTemplate.visible_to)

    def validate_rows(self, rows):
        ids = {row["template"] for row in rows if row.get("template")}
        if ids and self.templates is not None:
            unknown = ids - set(self.templates.filter(pk__in=ids).values_list("pk", flat=True))
            if unknown:
                raise serializers.ValidationError(f"指标库中没有编号为 {', '.join(map(str, sorted(unknown)))} 的模板。")
        return rows


class SheetCreateSerializer(serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none(), help_text="项目 ID")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # A project outside the caller's scope reads as unknown: same 400, no existence leak.
        projects = Project.objects.visible_to(request.user) if request else Project.objects.none()
        self.fields["project"].queryset = projects


# --- sheets --------------------------------------------------------------------------------


class ExpertReviewBriefSerializer(serializers.ModelSerializer):
    expert_name = serializers.CharField(source="expert.name", read_only=True)

    class Meta:
        model = ExpertReview
        fields = ["id", "expert", "expert_name", "score", "comment", "submitted_at"]
        read_only_fields = fields


class TargetSheetBriefSerializer(serializers.ModelSerializer):
    """A version in the list of a project's versions."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = TargetSheet
        fields = [
            "id", "version", "is_current", "status", "status_display", "adjustment_of", "adjustment_reason",
            "approved_at", "created_at", "updated_at",
        ]
        read_only_fields = fields


class TargetSheetSerializer(serializers.ModelSerializer):
    """A sheet as read (list and detail), with its indicators in table order."""

    project = ProjectBriefSerializer(read_only=True)
    is_key = serializers.BooleanField(source="project.is_key", read_only=True, help_text="重点项目")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_locked = serializers.BooleanField(read_only=True, help_text="已批复（或已被替代）的版本不能修改")
    is_adjustment = serializers.BooleanField(read_only=True, help_text="调整申请（第 2 版起）")
    weight_total = serializers.SerializerMethodField(help_text="年度指标权重合计")
    indicators = serializers.SerializerMethodField()
    expert_reviews = ExpertReviewBriefSerializer(many=True, read_only=True)

    class Meta:
        model = TargetSheet
        fields = [
            "id", "project", "is_key", "version", "is_current", "status", "status_display", "is_locked",
            "is_adjustment", "adjustment_of", "adjustment_reason", "overall_goal", "whole_period_goal",
            "weight_total", "indicators", "expert_reviews", "approved_at", "publish", "state_changed_at",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_weight_total(self, sheet):
        total = sum(r.weight for r in sheet.indicators.all() if r.period == IndicatorPeriod.YEAR)
        return f"{total:.2f}"

    @extend_schema_field(IndicatorSerializer(many=True))
    def get_indicators(self, sheet):
        # Prefetched in table order; each row's ``sheet`` is this instance, so the flag costs no query.
        return IndicatorSerializer(sheet.indicators.all(), many=True).data


class ProblemSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="可直接展示的说明，指明行号")
    row = serializers.IntegerField(allow_null=True, help_text="年度指标表中的行号（从 1 起）；整表问题为空")
    blocking = serializers.BooleanField(help_text="true：提交时会被拒绝；false：仅提示审核人（如目标偏低）")


class SheetSaveResultSerializer(serializers.Serializer):
    object = TargetSheetSerializer()
    problems = ProblemSerializer(many=True)


class AdjustmentRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="调整理由")


class SendToExpertsSerializer(serializers.Serializer):
    experts = serializers.PrimaryKeyRelatedField(queryset=Expert.objects.all(), many=True, help_text="专家 ID 列表")
    opinion = serializers.CharField(required=False, allow_blank=True, default="", help_text="送审说明")


class BatchApproveSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=500, help_text="绩效目标表 ID 列表"
    )
    opinion = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="审核意见（每张表各记一条）"
    )


class BatchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="sheet_id")
    ok = serializers.BooleanField()
    message = serializers.CharField()


class ChangeSerializer(serializers.Serializer):
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class RowDiffSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("added", "新增"), ("removed", "删除"), ("changed", "修改"), ("same", "未变")]
    )
    old = IndicatorSerializer(allow_null=True, help_text="较早版本中的行（新增行为空）")
    new = IndicatorSerializer(allow_null=True, help_text="较新版本中的行（删除行为空）")
    changes = ChangeSerializer(many=True)


class SheetDiffSerializer(serializers.Serializer):
    """Two versions side by side (targets/diff.py): ``old`` is always the earlier version."""

    old = TargetSheetBriefSerializer()
    new = TargetSheetBriefSerializer()
    goals = ChangeSerializer(many=True, help_text="总体目标的变化")
    rows = RowDiffSerializer(many=True)
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()


# --- expert reviews ------------------------------------------------------------------------


class ExpertReviewSerializer(serializers.ModelSerializer):
    expert_name = serializers.CharField(source="expert.name", read_only=True)
    sheet_version = serializers.IntegerField(source="sheet.version", read_only=True)
    sheet_status = serializers.CharField(source="sheet.status", read_only=True)
    project = ProjectBriefSerializer(source="sheet.project", read_only=True)
    is_submitted = serializers.SerializerMethodField()

    class Meta:
        model = ExpertReview
        fields = [
            "id", "sheet", "sheet_version", "sheet_status", "project", "expert", "expert_name", "score", "comment",
            "submitted_at", "is_submitted",
        ]
        read_only_fields = fields

    def get_is_submitted(self, review) -> bool:
        return review.submitted_at is not None


@extend_schema_field(OpenApiTypes.NUMBER)
class ScoreField(serializers.CharField):
    """A score as sent; ``services.submit_expert_review`` parses it and says what is wrong."""


class ExpertReviewSubmitSerializer(serializers.Serializer):
    score = ScoreField(allow_blank=True, help_text="0–100")
    comment = serializers.CharField(allow_blank=True, help_text="评审意见")
