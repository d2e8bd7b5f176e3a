import datetime
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.choices import CITYWIDE_ROLES, SUBTREE_ROLES, Role
from accounts.models import ScopedQuerySet

from .choices import (
    EDITABLE_REPORT_STATES,
    LIFTABLE_FUNDING_KINDS,
    MANDATORY_PERIOD,
    MONTHS_PER_PERIOD,
    OPEN_RECTIFICATION_STATES,
    CompletionOutlook,
    DeviationCause,
    FundingActionKind,
    FundingActionStatus,
    ImportStatus,
    Judgement,
    Light,
    PaidSource,
    PeriodKind,
    QualitativeProgress,
    RectificationStatus,
    ReportStatus,
    RoundStatus,
)
from .lights import WarningRules, time_progress

PERIOD_NAMES = {
    PeriodKind.QUARTER: {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"},
    PeriodKind.HALF_YEAR: {1: "上半年", 2: "下半年"},
}
MONEY = {"max_digits": 16, "decimal_places": 2}
PERCENT = {"max_digits": 9, "decimal_places": 2}


def period_end(year: int, kind: str, number: int) -> datetime.date:
    """The last day of period ``number`` of ``kind`` in ``year`` (Q3 → September 30)."""
    month = number * MONTHS_PER_PERIOD[kind]
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def period_label(kind: str, number: int) -> str:
    if kind == PeriodKind.MONTH:
        return f"{number}月"
    return PERIOD_NAMES[kind][number]


class MonitoringRoundQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Rounds are the city's calendar of reporting: every staff role sees them (their reports
        are scoped separately); experts and agencies have no part in monitoring."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.roles & (CITYWIDE_ROLES | SUBTREE_ROLES):
            return self.all()
        return self.none()


class MonitoringRound(models.Model):
    """监控批次: one period of dual monitoring that the performance office opens for a year — the
    mandatory third-quarter round or an optional monthly / half-year one (DESIGN §2.4)."""

    fiscal_year = models.ForeignKey(
        "projects.FiscalYear", verbose_name="预算年度", on_delete=models.PROTECT, related_name="monitoring_rounds"
    )
    kind = models.CharField("周期", max_length=12, choices=PeriodKind.choices)
    number = models.PositiveSmallIntegerField("期次")
    period_end = models.DateField("期末日期")
    due_date = models.DateField("报送截止日")
    status = models.CharField("状态", max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    note = models.CharField("说明", max_length=300, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="开启人", on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField("开启时间", auto_now_add=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    objects = MonitoringRoundQuerySet.as_manager()

    class Meta:
        verbose_name = "监控批次"
        verbose_name_plural = "监控批次"
        ordering = ["-fiscal_year__year", "-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "kind", "number"],
                name="one_round_per_period",
                violation_error_message="该年度的这一期监控已经开启。",
            ),
            models.CheckConstraint(condition=Q(number__gte=1) & Q(number__lte=12), name="round_number_range"),
        ]

    def __str__(self):
        return f"{self.fiscal_year.year}年{self.period_label}绩效监控"

    def get_absolute_url(self):
        return reverse("monitoring:round_detail", args=[self.pk])

    @property
    def period_label(self) -> str:
        return period_label(self.kind, self.number)

    @property
    def is_mandatory(self) -> bool:
        return (self.kind, self.number) == MANDATORY_PERIOD

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def time_progress(self):
        return time_progress(self.period_end)


class MonitoringReportQuerySet(ScopedQuerySet):
    org_lookup = "project__unit"

    def with_list_related(self):
        return self.select_related("round__fiscal_year", "project__department", "project__unit")


class MonitoringReport(models.Model):
    """绩效监控表: one project's budget execution and target progress at the end of a round's
    period, with the warning lights computed from them by the year's rules (DESIGN §2.4).

    The lights are stored so lists and counts are plain queries; ``services.compute_lights``
    writes them whenever an input changes, and keeps the rule values used in ``rules``."""

    round = models.ForeignKey(
        MonitoringRound, verbose_name="监控批次", on_delete=models.PROTECT, related_name="reports"
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="monitoring_reports"
    )
    target_sheet = models.ForeignKey(
        "targets.TargetSheet",
        verbose_name="依据的绩效目标",
        on_delete=models.PROTECT,
        related_name="monitoring_reports",
    )
    status = models.CharField("状态", max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    state_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)

    budget_amount = models.DecimalField("预算金额（元）", **MONEY)
    # None until the unit enters it or treasury data arrives: an unknown amount has no light.
    paid_to_date = models.DecimalField("截至期末支付（元）", null=True, blank=True, **MONEY)
    paid_source = models.CharField("支付数来源", max_length=10, choices=PaidSource.choices, default=PaidSource.MANUAL)
    paid_as_of = models.DateField("国库数据截至", null=True, blank=True)
    time_progress = models.DecimalField("时间进度（%）", **PERCENT)
    execution_rate = models.DecimalField("预算执行率（%）", null=True, blank=True, **PERCENT)
    budget_ratio = models.DecimalField("执行进度比", null=True, blank=True, **PERCENT)
    budget_light = models.CharField("预算执行预警", max_length=8, choices=Light.choices, blank=True)
    budget_cause = models.CharField("偏差原因类别", max_length=12, choices=DeviationCause.choices, blank=True)
    budget_reason = models.TextField("执行偏差原因", blank=True)
    budget_measures = models.TextField("纠偏措施", blank=True)

    light = models.CharField("综合预警", max_length=8, choices=Light.choices, blank=True, db_index=True)
    judgement = models.CharField("总体判断", max_length=8, choices=Judgement.choices, blank=True)
    summary = models.TextField("总体情况说明", blank=True)
    rules = models.JSONField("预警规则", default=dict, blank=True, encoder=DjangoJSONEncoder)
    lights_at = models.DateTimeField("预警计算时间", null=True, blank=True)

    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    decided_at = models.DateTimeField("财政审核时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = MonitoringReportQuerySet.as_manager()

    class Meta:
        verbose_name = "绩效监控表"
        verbose_name_plural = "绩效监控表"
        ordering = ["round", "project__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "project"], name="one_report_per_round_project"),
        ]
        indexes = [models.Index(fields=["round", "status"]), models.Index(fields=["round", "light"])]

    def __str__(self):
        return f"{self.project.name}·{self.round.period_label}监控"

    def get_absolute_url(self):
        return reverse("monitoring:report_detail", args=[self.pk])

    @property
    def workflow_chain(self):
        from .chains import REPORT_CHAIN

        return REPORT_CHAIN

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_REPORT_STATES

    @property
    def warning_rules(self) -> WarningRules | None:
        return WarningRules.from_dict(self.rules) if self.rules else None


class MonitoringRowQuerySet(ScopedQuerySet):
    org_lookup = "report__project__unit"


class MonitoringRow(models.Model):
    """One indicator of a monitoring report: its progress at the period's end, the expected year-end
    value, the outlook, the light and — for red, yellow and blue — the reason and measures."""

    report = models.ForeignKey(MonitoringReport, on_delete=models.CASCADE, related_name="rows")
    indicator = models.ForeignKey(
        "targets.Indicator", verbose_name="绩效指标", on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField("序号", default=0)
    actual_value = models.DecimalField("截至期末完成值", max_digits=18, decimal_places=4, null=True, blank=True)
    progress = models.CharField("定性指标完成情况", max_length=16, choices=QualitativeProgress.choices, blank=True)
    progress_note = models.CharField("完成情况说明", max_length=300, blank=True)
    expected_year_end = models.DecimalField("全年预计完成值", max_digits=18, decimal_places=4, null=True, blank=True)
    outlook = models.CharField("预计完成情况", max_length=10, choices=CompletionOutlook.choices, blank=True)
    light = models.CharField("预警", max_length=8, choices=Light.choices, blank=True)
    ratio = models.DecimalField("序时完成比", null=True, blank=True, **PERCENT)
    achieved_pct = models.DecimalField("占年度目标（%）", null=True, blank=True, **PERCENT)
    cause = models.CharField("偏差原因类别", max_length=12, choices=DeviationCause.choices, blank=True)
    reason = models.TextField("偏差原因", blank=True)
    measures = models.TextField("纠偏措施", blank=True)

    objects = MonitoringRowQuerySet.as_manager()

    class Meta:
        verbose_name = "监控指标"
        verbose_name_plural = "监控指标"
        ordering = ["report", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="one_row_per_indicator")]

    def __str__(self):
        return self.indicator.name


# --- treasury payments ---------------------------------------------------------------------------


def treasury_upload_path(instance, filename):
    return f"treasury/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class TreasuryImportQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .permissions import can_view_treasury

        return self.all() if can_view_treasury(user)[0] else self.none()


class TreasuryImport(models.Model):
    """国库支付数据导入: one uploaded treasury payment export, imported by a Celery task that reports
    its progress here; all or nothing, with the row-by-row problems kept for the page."""

    fiscal_year = models.ForeignKey(
        "projects.FiscalYear", verbose_name="预算年度", on_delete=models.PROTECT, related_name="treasury_imports"
    )
    file = models.FileField("文件", upload_to=treasury_upload_path, max_length=200)
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    status = models.CharField("状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    phase = models.CharField("当前步骤", max_length=60, blank=True)
    processed = models.PositiveIntegerField("已处理行数", default=0)
    total = models.PositiveIntegerField("总行数", default=0)
    created_count = models.PositiveIntegerField("新增支付记录", default=0)
    updated_count = models.PositiveIntegerField("更新支付记录", default=0)
    unchanged_count = models.PositiveIntegerField("未变支付记录", default=0)
    reports_updated = models.PositiveIntegerField("更新的监控表", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    unmatched_codes = models.JSONField("未匹配的项目编码", default=list, blank=True)
    message = models.CharField("结果说明", max_length=500, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = TreasuryImportQuerySet.as_manager()

    class Meta:
        verbose_name = "国库支付数据导入"
        verbose_name_plural = "国库支付数据导入"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.original_name}（{self.uploaded_at:%Y-%m-%d %H:%M}）"

    def get_absolute_url(self):
        return reverse("monitoring:treasury_import_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0


class TreasuryPaymentQuerySet(ScopedQuerySet):
    org_lookup = "project__unit"


class TreasuryPayment(models.Model):
    """国库集中支付: one payment of a project from the treasury's export, keyed by its voucher
    number (支付凭证号) so that importing the same export again changes nothing."""

    fiscal_year = models.ForeignKey(
        "projects.FiscalYear", verbose_name="预算年度", on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="treasury_payments"
    )
    voucher_no = models.CharField("支付凭证号", max_length=40)
    pay_date = models.DateField("支付日期")
    amount = models.DecimalField("支付金额（元）", **MONEY)
    payee = models.CharField("收款单位", max_length=120, blank=True)
    summary = models.CharField("摘要", max_length=200, blank=True)
    source_import = models.ForeignKey(
        TreasuryImport, verbose_name="导入批次", on_delete=models.PROTECT, related_name="payments"
    )

    objects = TreasuryPaymentQuerySet.as_manager()

    class Meta:
        verbose_name = "国库支付记录"
        verbose_name_plural = "国库支付记录"
        ordering = ["project", "pay_date", "voucher_no"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "voucher_no"], name="one_payment_per_voucher"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="treasury_payment_positive"),
        ]
        indexes = [models.Index(fields=["project", "pay_date"])]

    def __str__(self):
        return f"{self.voucher_no} {self.amount}"


# --- rectification and funding actions -------------------------------------------------------------


class RectificationQuerySet(ScopedQuerySet):
    org_lookup = "project__unit"

    def open(self):
        return self.filter(status__in=OPEN_RECTIFICATION_STATES)

    def for_source(self, source):
        return self.filter(content_type=ContentType.objects.get_for_model(source), object_id=source.pk)

    def overdue(self, today: datetime.date):
        return self.open().filter(due_date__lt=today)


class Rectification(models.Model):
    """整改: what finance found and asks to be corrected, the department's measures and evidence,
    and finance's confirmation (DESIGN §2.6). One model for every source — a monitoring review
    (due in 7 working days) now, an evaluation's feedback (30 days) later — named by ``source``."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("content_type", "object_id")
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="rectifications"
    )
    status = models.CharField(
        "状态", max_length=12, choices=RectificationStatus.choices, default=RectificationStatus.ISSUED
    )
    state_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)
    issues = models.TextField("存在问题")
    requirements = models.TextField("整改要求", blank=True)
    due_date = models.DateField("整改期限")
    due_days = models.PositiveSmallIntegerField("期限天数")
    due_in_working_days = models.BooleanField("按工作日计", default=True)
    due_warning = models.CharField("期限提示", max_length=200, blank=True)
    confirmer_role = models.CharField(
        "确认角色", max_length=32, choices=Role.choices, help_text="提出整改的财政角色，由其确认"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("提出时间", default=timezone.now)
    measures = models.TextField("整改措施", blank=True)
    outcome = models.TextField("整改情况", blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    attachments = GenericRelation("projects.Attachment")
    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = "整改"
        verbose_name_plural = "整改"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"]), models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return f"{self.project.name}·整改"

    def get_absolute_url(self):
        return reverse("monitoring:rectification_detail", args=[self.pk])

    @property
    def workflow_chain(self):
        from .chains import RECTIFICATION_CHAIN

        return RECTIFICATION_CHAIN

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RECTIFICATION_STATES

    @property
    def due_rule(self) -> str:
        return f"{self.due_days}个{'工作日' if self.due_in_working_days else '自然日'}"

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and self.due_date < (today or timezone.localdate())


class FundingActionQuerySet(ScopedQuerySet):
    org_lookup = "project__unit"


class FundingAction(models.Model):
    """资金处置: the performance office suspends (暂缓拨款) or stops (停止拨款) a project's funds, or
    recovers them (收回资金), for serious problems found in monitoring — with the amount, reason,
    the report that led to it and who did it; a suspension or stop is lifted later with a reason."""

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="funding_actions"
    )
    report = models.ForeignKey(
        MonitoringReport,
        verbose_name="依据的监控表",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_actions",
    )
    kind = models.CharField("处置方式", max_length=10, choices=FundingActionKind.choices)
    amount = models.DecimalField("金额（元）", **MONEY)
    reason = models.TextField("处置原因")
    status = models.CharField(
        "状态", max_length=8, choices=FundingActionStatus.choices, default=FundingActionStatus.ACTIVE
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="解除人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField("解除时间", null=True, blank=True)
    lift_reason = models.TextField("解除原因", blank=True)

    objects = FundingActionQuerySet.as_manager()

    class Meta:
        verbose_name = "资金处置"
        verbose_name_plural = "资金处置"
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_action_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="funding_action_needs_reason"),
            models.CheckConstraint(
                condition=Q(status=FundingActionStatus.ACTIVE) | ~Q(lift_reason=""),
                name="funding_lift_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=FundingActionStatus.ACTIVE) | Q(kind__in=sorted(LIFTABLE_FUNDING_KINDS)),
                name="recovered_funds_not_lifted",
            ),
        ]

    def __str__(self):
        return f"{self.project.name}·{self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("monitoring:funding_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == FundingActionStatus.ACTIVE

    @property
    def is_liftable(self) -> bool:
        return self.is_active and self.kind in LIFTABLE_FUNDING_KINDS
