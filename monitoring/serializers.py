"""Shapes of dual monitoring in the API: rounds, reports and their rows, treasury imports,
rectifications and funding actions.

Serializers parse and shape only. What a report needs before it is submitted, how a light is
computed and which amounts are acceptable are the services' (services.py, lights.py); their
messages come back as ``{"detail": ...}`` or per field. Numbers the services read (paid amounts,
actual values, funding amounts) arrive as text so that their messages, naming the row, are the
ones the user sees. Amounts go out as Decimal strings in yuan.
"""

from django.db.models import Count, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.choices import Role
from projects.models import FiscalYear, Project
from projects.serializers import ProjectBriefSerializer

from . import services
from .choices import FundingActionKind, Light, PeriodKind, ReportStatus
from .models import FundingAction, MonitoringReport, MonitoringRound, MonitoringRow, Rectification, TreasuryImport


def _user_name(user) -> str | None:
    return str(user) if user is not None else None


@extend_schema_field(OpenApiTypes.DECIMAL)
class DecimalText(serializers.CharField):
    """A number as sent (string or number); the service parses it and says what is wrong."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class ExplanationSerializer(serializers.Serializer):
    """How a light came about (DESIGN §2.8): the numbers, the formula and the year's rule."""

    light = serializers.CharField(help_text="red / yellow / blue / green；未填写时为空")
    ratio = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True, help_text="用于分档的比值")
    achieved_pct = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, required=False, help_text="完成值占年度目标（%），蓝灯依据"
    )
    formula = serializers.CharField(help_text="代入本行数据的计算过程")
    rule = serializers.CharField(help_text="作出判断的年度规则")


# --- rounds --------------------------------------------------------------------------------


class MonitoringRoundSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    period_label = serializers.CharField(read_only=True, help_text="如“第三季度”")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    is_mandatory = serializers.BooleanField(read_only=True, help_text="三季度监控为必报")
    time_progress = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, help_text="期末时间进度（%），如三季度 75.00"
    )
    opened_by_name = serializers.SerializerMethodField()

    class Meta:
        model = MonitoringRound
        fields = [
            "id", "fiscal_year", "year", "kind", "kind_display", "number", "period_label", "period_end",
            "due_date", "time_progress", "is_mandatory", "status", "status_display", "is_open", "note",
            "opened_by", "opened_by_name", "opened_at", "closed_at",
        ]
        read_only_fields = fields

    def get_opened_by_name(self, monitoring_round) -> str | None:
        return _user_name(monitoring_round.opened_by)


class CountSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class RoundReportCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="本人可见的监控表数")
    by_status = CountSerializer(many=True)
    by_light = CountSerializer(many=True)
    unlit = serializers.IntegerField(help_text="尚未亮灯（数据未填写）的监控表数")


class MonitoringRoundDetailSerializer(MonitoringRoundSerializer):
    """A round with the counts of the reports the caller sees (one aggregate query)."""

    reports = serializers.SerializerMethodField()

    class Meta(MonitoringRoundSerializer.Meta):
        fields = [*MonitoringRoundSerializer.Meta.fields, "reports"]
        read_only_fields = fields

    @extend_schema_field(RoundReportCountsSerializer)
    def get_reports(self, monitoring_round):
        request = self.context.get("request")
        return round_report_counts(monitoring_round, request.user) if request is not None else None


def round_report_counts(monitoring_round, user) -> dict:
    """Counts by status and light of the round's reports visible to ``user``, in one query."""
    aggregates = {"total": Count("pk"), "unlit": Count("pk", filter=Q(light=""))}
    aggregates.update({f"status_{s}": Count("pk", filter=Q(status=s)) for s in ReportStatus.values})
    aggregates.update({f"light_{v}": Count("pk", filter=Q(light=v)) for v in Light.values})
    row = MonitoringReport.objects.visible_to(user).filter(round=monitoring_round).aggregate(**aggregates)
    return {
        "total": row["total"],
        "by_status": [{"value": v, "label": label, "count": row[f"status_{v}"]} for v, label in ReportStatus.choices],
        "by_light": [{"value": v, "label": label, "count": row[f"light_{v}"]} for v, label in Light.choices],
        "unlit": row["unlit"],
    }


class RoundOpenSerializer(serializers.Serializer):
    """Body of POST monitoring-rounds/: what ``services.open_round`` takes."""

    fiscal_year = serializers.PrimaryKeyRelatedField(queryset=FiscalYear.objects.all(), help_text="预算年度 ID")
    kind = serializers.ChoiceField(choices=PeriodKind.choices, help_text="month 月度 / quarter 季度 / half_year 半年")
    number = serializers.IntegerField(help_text="期次：季度 1–4，月度 1–12，半年 1–2")
    due_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="报送截止日；默认期末后按年度规则（三季度为 15 日）"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


# --- reports and rows ------------------------------------------------------------------------


class MonitoringRowSerializer(serializers.ModelSerializer):
    """One indicator of a report: the target it is measured against, what was filled, its light."""

    name = serializers.CharField(source="indicator.name", read_only=True, help_text="三级指标")
    level1 = serializers.CharField(source="indicator.level1", read_only=True)
    level1_display = serializers.CharField(source="indicator.get_level1_display", read_only=True)
    level2 = serializers.CharField(source="indicator.level2", read_only=True)
    level2_display = serializers.CharField(source="indicator.get_level2_display", read_only=True)
    comparator = serializers.CharField(source="indicator.comparator", read_only=True)
    comparator_display = serializers.CharField(source="indicator.get_comparator_display", read_only=True)
    target_value = serializers.DecimalField(
        source="indicator.target_value", max_digits=18, decimal_places=4, read_only=True, allow_null=True,
        help_text="年度指标值（定量）",
    )
    target_text = serializers.CharField(source="indicator.target_text", read_only=True, help_text="定性指标值")
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    value_display = serializers.CharField(source="indicator.value_display", read_only=True, help_text="如“≥20间”")
    progress_display = serializers.CharField(source="get_progress_display", read_only=True)
    outlook_display = serializers.CharField(source="get_outlook_display", read_only=True)
    cause_display = serializers.CharField(source="get_cause_display", read_only=True)
    light_display = serializers.CharField(source="get_light_display", read_only=True)
    explanation = serializers.SerializerMethodField(help_text="预警的计算过程和规则；尚未填写时为空")

    class Meta:
        model = MonitoringRow
        fields = [
            "id", "report", "position", "indicator", "name", "level1", "level1_display", "level2", "level2_display",
            "comparator", "comparator_display", "target_value", "target_text", "unit", "value_display",
            "actual_value", "progress", "progress_display", "progress_note", "expected_year_end", "outlook",
            "outlook_display", "light", "light_display", "ratio", "achieved_pct", "cause", "cause_display",
            "reason", "measures", "explanation",
        ]
        read_only_fields = fields

    @extend_schema_field(ExplanationSerializer(allow_null=True))
    def get_explanation(self, row):
        # ``row.report`` is the prefetching report (or joined), with its round and year: no query.
        result = services.explain_row(row, row.report)
        return ExplanationSerializer(result).data if result.light else None


class MonitoringReportSerializer(serializers.ModelSerializer):
    """A report in a list: its project, state, figures and lights (rows: see the detail)."""

    project = ProjectBriefSerializer(read_only=True)
    year = serializers.IntegerField(source="round.fiscal_year.year", read_only=True)
    period_label = serializers.CharField(source="round.period_label", read_only=True)
    due_date = serializers.DateField(source="round.due_date", read_only=True, help_text="报送截止日")
    target_version = serializers.IntegerField(source="target_sheet.version", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_editable = serializers.BooleanField(read_only=True, help_text="单位仍可填报（填报中、已退回）")
    paid_source_display = serializers.CharField(source="get_paid_source_display", read_only=True)
    budget_light_display = serializers.CharField(source="get_budget_light_display", read_only=True)
    light_display = serializers.CharField(source="get_light_display", read_only=True)
    judgement_display = serializers.CharField(source="get_judgement_display", read_only=True)

    class Meta:
        model = MonitoringReport
        fields = [
            "id", "round", "year", "period_label", "due_date", "project", "target_sheet", "target_version",
            "status", "status_display", "is_editable", "budget_amount", "paid_to_date", "paid_source",
            "paid_source_display", "paid_as_of", "time_progress", "execution_rate", "budget_ratio",
            "budget_light", "budget_light_display", "light", "light_display", "judgement", "judgement_display",
            "submitted_at", "decided_at", "state_changed_at", "updated_at",
        ]
        read_only_fields = fields


class MonitoringReportDetailSerializer(MonitoringReportSerializer):
    """A report as opened: the texts, the rows in table order, and how each light came about."""

    budget_cause_display = serializers.CharField(source="get_budget_cause_display", read_only=True)
    budget_explanation = serializers.SerializerMethodField(help_text="预算执行预警的计算过程；未填支付数时为空")
    rows = serializers.SerializerMethodField()

    class Meta(MonitoringReportSerializer.Meta):
        fields = [
            *MonitoringReportSerializer.Meta.fields, "summary", "budget_cause", "budget_cause_display",
            "budget_reason", "budget_measures", "budget_explanation", "rules", "lights_at", "rows",
        ]
        read_only_fields = fields

    @extend_schema_field(ExplanationSerializer(allow_null=True))
    def get_budget_explanation(self, report):
        result = services.explain_budget(report)
        return ExplanationSerializer(result).data if result is not None else None

    @extend_schema_field(MonitoringRowSerializer(many=True))
    def get_rows(self, report):
        return MonitoringRowSerializer(report.rows.all(), many=True).data  # prefetched in table order


class RowFillSerializer(serializers.Serializer):
    """One row as filled; absent keys stay as they are. Choices and numbers are read by
    ``services.save_report``, whose messages name the row (第2行「…」：…)."""

    id = serializers.IntegerField(help_text="监控指标行 ID（详情中 rows[].id）")
    actual_value = DecimalText(required=False, help_text="截至期末完成值（定量指标）")
    progress = serializers.CharField(
        required=False, allow_blank=True, help_text="定性指标：achieved 达成 / partly 部分达成 / not_achieved 未达成"
    )
    progress_note = serializers.CharField(required=False, allow_blank=True, help_text="完成情况说明")
    expected_year_end = DecimalText(required=False, help_text="全年预计完成值（定量指标）")
    outlook = serializers.CharField(
        required=False, allow_blank=True, help_text="certain 确定能完成 / likely 有可能完成 / unlikely 完全不可能完成"
    )
    cause = serializers.CharField(
        required=False, allow_blank=True, help_text="偏差原因类别：funding / system / staff / facilities / other"
    )
    reason = serializers.CharField(required=False, allow_blank=True, help_text="偏差原因（红、黄、蓝灯必填）")
    measures = serializers.CharField(required=False, allow_blank=True, help_text="纠偏措施（红、黄、蓝灯必填）")


class ReportFillSerializer(serializers.Serializer):
    """PATCH body: what the unit fills; absent keys stay as they are, a draft may be incomplete."""

    paid_to_date = DecimalText(required=False, help_text="截至期末支付金额（元）；来自国库数据时忽略")
    summary = serializers.CharField(required=False, allow_blank=True, help_text="总体情况说明")
    budget_cause = serializers.CharField(required=False, allow_blank=True, help_text="预算执行偏差原因类别")
    budget_reason = serializers.CharField(required=False, allow_blank=True, help_text="执行偏差原因")
    budget_measures = serializers.CharField(required=False, allow_blank=True, help_text="纠偏措施")
    rows = RowFillSerializer(many=True, required=False, help_text="要修改的指标行（只需给出改动的行）")

    def to_service_data(self) -> dict:
        data = dict(self.validated_data)
        if "rows" in data:
            data["rows"] = [dict(row) for row in data["rows"]]
        return data


class ReportProblemSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="报送前须解决的问题，指明行号和指标")


class ReportSaveResultSerializer(serializers.Serializer):
    object = MonitoringReportDetailSerializer()
    problems = ReportProblemSerializer(many=True, help_text="保存后仍须解决才能报送的问题（草稿可不完整）")


class RectifyParamsSerializer(serializers.Serializer):
    """Body of POST monitoring-reports/{id}/rectify/: the problems found become the rectification's issues."""

    opinion = serializers.CharField(
        help_text="发现的问题（即整改的“存在问题”）",
        error_messages={"required": "请写明发现的问题。", "blank": "请写明发现的问题。"},
    )
    requirements = serializers.CharField(required=False, allow_blank=True, default="", help_text="整改要求")


# --- treasury imports ------------------------------------------------------------------------


class TreasuryImportSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text="进度（%）；完成或失败为 100")
    is_finished = serializers.BooleanField(read_only=True)
    uploaded_by_name = serializers.SerializerMethodField()

    class Meta:
        model = TreasuryImport
        fields = [
            "id", "fiscal_year", "year", "original_name", "size", "uploaded_by", "uploaded_by_name", "uploaded_at",
            "status", "status_display", "is_finished", "phase", "processed", "total", "percent", "created_count",
            "updated_count", "unchanged_count", "reports_updated", "message", "started_at", "finished_at",
        ]
        read_only_fields = fields

    def get_uploaded_by_name(self, treasury_import) -> str | None:
        return _user_name(treasury_import.uploaded_by)


class TreasuryImportDetailSerializer(TreasuryImportSerializer):
    """An import as opened: with its row-by-row problems and the project codes it did not find."""

    errors = serializers.JSONField(read_only=True, help_text="逐行错误（导入失败时）")
    unmatched_codes = serializers.JSONField(read_only=True, help_text="系统中没有的项目编码")

    class Meta(TreasuryImportSerializer.Meta):
        fields = [*TreasuryImportSerializer.Meta.fields, "errors", "unmatched_codes"]
        read_only_fields = fields


class TreasuryUploadSerializer(serializers.Serializer):
    """multipart body of POST treasury-imports/."""

    file = serializers.FileField(help_text="国库集中支付数据导出（.xlsx）")
    fiscal_year = serializers.PrimaryKeyRelatedField(queryset=FiscalYear.objects.all(), help_text="预算年度 ID")


# --- rectifications -------------------------------------------------------------------------


class AttachmentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.CharField(source="get_absolute_url", help_text="下载地址（检查数据范围）")


class RectificationSerializer(serializers.ModelSerializer):
    project = ProjectBriefSerializer(read_only=True)
    source_type = serializers.CharField(source="content_type.model", read_only=True, help_text="如 monitoringreport")
    source_id = serializers.IntegerField(source="object_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_open = serializers.BooleanField(read_only=True, help_text="待整改或退回重新整改")
    is_overdue = serializers.SerializerMethodField()
    due_rule = serializers.CharField(read_only=True, help_text="如“7个工作日”")
    confirmer_role_label = serializers.SerializerMethodField()
    issued_by_name = serializers.SerializerMethodField()
    attachments = AttachmentBriefSerializer(many=True, read_only=True, help_text="整改佐证材料")

    class Meta:
        model = Rectification
        fields = [
            "id", "project", "source_type", "source_id", "status", "status_display", "is_open", "is_overdue",
            "issues", "requirements", "due_date", "due_rule", "due_warning", "confirmer_role",
            "confirmer_role_label", "issued_by", "issued_by_name", "issued_at", "measures", "outcome",
            "attachments", "submitted_at", "confirmed_at", "state_changed_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, rectification) -> bool:
        return rectification.is_overdue()

    def get_confirmer_role_label(self, rectification) -> str:
        role = rectification.confirmer_role
        return Role(role).label if role in Role.values else role

    def get_issued_by_name(self, rectification) -> str | None:
        return _user_name(rectification.issued_by)


class RectificationAnswerSerializer(serializers.Serializer):
    """PATCH body: the department's answer; absent keys stay as they are (evidence: attachments)."""

    measures = serializers.CharField(required=False, allow_blank=True, help_text="整改措施")
    outcome = serializers.CharField(required=False, allow_blank=True, help_text="整改情况")


# --- funding actions ------------------------------------------------------------------------


class FundingActionSerializer(serializers.ModelSerializer):
    project = ProjectBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_liftable = serializers.BooleanField(read_only=True, help_text="暂缓、停止拨款可解除；收回资金不能")
    recorded_by_name = serializers.SerializerMethodField()
    lifted_by_name = serializers.SerializerMethodField()

    class Meta:
        model = FundingAction
        fields = [
            "id", "project", "report", "kind", "kind_display", "amount", "reason", "status", "status_display",
            "is_liftable", "recorded_by", "recorded_by_name", "recorded_at", "lifted_by", "lifted_by_name",
            "lifted_at", "lift_reason",
        ]
        read_only_fields = fields

    def get_recorded_by_name(self, action) -> str | None:
        return _user_name(action.recorded_by)

    def get_lifted_by_name(self, action) -> str | None:
        return _user_name(action.lifted_by)


class FundingActionCreateSerializer(serializers.Serializer):
    """Body of POST funding-actions/; amounts, kind and reason are checked by the service."""

    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none(), help_text="项目 ID")
    kind = serializers.ChoiceField(
        choices=FundingActionKind.choices, help_text="suspend 暂缓拨款 / stop 停止拨款 / recover 收回资金"
    )
    amount = DecimalText(help_text="金额（元），大于 0，不超过项目预算")
    reason = serializers.CharField(allow_blank=True, help_text="处置原因")
    report = serializers.PrimaryKeyRelatedField(
        queryset=MonitoringReport.objects.none(), required=False, allow_null=True, default=None,
        help_text="依据的监控表 ID（可选）",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Ids outside the caller's scope read as unknown: the same 400, no existence leak.
        if request is not None:
            self.fields["project"].queryset = Project.objects.visible_to(request.user)
            self.fields["report"].queryset = MonitoringReport.objects.visible_to(request.user)


class FundingLiftSerializer(serializers.Serializer):
    lift_reason = serializers.CharField(allow_blank=True, help_text="解除原因")
