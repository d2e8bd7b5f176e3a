import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Organization, ScopedQuerySet

from .choices import (
    SUPPORTIVE_CONCLUSIONS,
    BudgetType,
    Conclusion,
    Dimension,
    PreAssessmentMode,
    PreAssessmentStatus,
    ProjectKind,
    ProjectStatus,
)
from .defaults import DIMENSION_MAX_SCORE, FISCAL_YEAR_RULES

WAN = Decimal("10000")


class CalendarYear(models.Model):
    """A year of the working-day calendar 工作日历 and whether its holidays have been entered.

    `chinese-calendar` seeds the years it knows; the performance office adds each new year when
    the State Council publishes its holiday notice. A year that is not ``complete`` is flagged
    wherever a deadline falls in it.
    """

    year = models.PositiveSmallIntegerField("年份", unique=True)
    complete = models.BooleanField("节假日已录入", default=False)
    source = models.CharField("来源", max_length=120, blank=True)

    class Meta:
        verbose_name = "日历年度"
        verbose_name_plural = "工作日历年度"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年"


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday rule: a weekday holiday or a 调休 working weekend."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班")
    name = models.CharField("说明", max_length=60, blank=True, help_text="如：国庆节、国庆节调休")

    class Meta:
        verbose_name = "节假日/调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"


class FiscalYearQuerySet(models.QuerySet):
    def visible_to(self, user):
        # Every signed-in user works in some year; the rules are not secret.
        return self.all() if user.is_authenticated else self.none()

    def current(self):
        return self.filter(is_current=True).first() or self.order_by("-year").first()


class FiscalYear(models.Model):
    """预算年度 with its rules (DESIGN §2): thresholds, deadlines, bands, caps, linkage — per year,
    copied from ``defaults.FISCAL_YEAR_RULES`` and edited by the performance office."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    is_current = models.BooleanField("当前年度", default=False)

    project_submission_deadline = models.DateField("项目申报截止日", null=True, blank=True)
    target_submission_deadline = models.DateField("绩效目标申报截止日", null=True, blank=True)
    self_evaluation_deadline = models.DateField("绩效自评截止日", null=True, blank=True)

    preassessment_threshold = models.DecimalField(
        "事前评估金额门槛（元）",
        max_digits=16,
        decimal_places=2,
        default=FISCAL_YEAR_RULES["preassessment_threshold"],
    )
    preassessment_review_days = models.PositiveSmallIntegerField(
        "事前评估审核时限（工作日）", default=FISCAL_YEAR_RULES["preassessment_review_days"]
    )
    target_review_days = models.PositiveSmallIntegerField(
        "目标审核时限（工作日）", default=FISCAL_YEAR_RULES["target_review_days"]
    )
    weight_output = models.PositiveSmallIntegerField("产出指标权重", default=FISCAL_YEAR_RULES["weight_output"])
    weight_effect = models.PositiveSmallIntegerField("效益指标权重", default=FISCAL_YEAR_RULES["weight_effect"])
    weight_satisfaction = models.PositiveSmallIntegerField(
        "满意度指标权重", default=FISCAL_YEAR_RULES["weight_satisfaction"]
    )
    target_too_low_pct = models.PositiveSmallIntegerField(
        "目标偏低提示（上年实际超出%）", default=FISCAL_YEAR_RULES["target_too_low_pct"]
    )
    q3_report_due_days = models.PositiveSmallIntegerField(
        "三季度监控报送期限（季末后天数）", default=FISCAL_YEAR_RULES["q3_report_due_days"]
    )
    monitoring_review_days = models.PositiveSmallIntegerField(
        "监控审核时限（工作日）", default=FISCAL_YEAR_RULES["monitoring_review_days"]
    )
    warn_red_below = models.PositiveSmallIntegerField("红灯：低于", default=FISCAL_YEAR_RULES["warn_red_below"])
    warn_yellow_below = models.PositiveSmallIntegerField("黄灯：低于", default=FISCAL_YEAR_RULES["warn_yellow_below"])
    warn_blue_at_pct = models.PositiveSmallIntegerField(
        "蓝灯：达到年度目标的%", default=FISCAL_YEAR_RULES["warn_blue_at_pct"]
    )
    grade_excellent_min = models.PositiveSmallIntegerField(
        "优：不低于", default=FISCAL_YEAR_RULES["grade_excellent_min"]
    )
    grade_good_min = models.PositiveSmallIntegerField("良：不低于", default=FISCAL_YEAR_RULES["grade_good_min"])
    grade_fair_min = models.PositiveSmallIntegerField("中：不低于", default=FISCAL_YEAR_RULES["grade_fair_min"])
    veto_not_excellent_below_pct = models.PositiveSmallIntegerField(
        "执行率低于%不得评优", default=FISCAL_YEAR_RULES["veto_not_excellent_below_pct"]
    )
    veto_not_good_below_pct = models.PositiveSmallIntegerField(
        "执行率低于%不得评良", default=FISCAL_YEAR_RULES["veto_not_good_below_pct"]
    )
    spot_check_gap_points = models.PositiveSmallIntegerField(
        "抽查差异认定不实（分）", default=FISCAL_YEAR_RULES["spot_check_gap_points"]
    )
    rectification_days_monitoring = models.PositiveSmallIntegerField(
        "监控整改时限（工作日）", default=FISCAL_YEAR_RULES["rectification_days_monitoring"]
    )
    rectification_days_feedback = models.PositiveSmallIntegerField(
        "评价整改时限（天）", default=FISCAL_YEAR_RULES["rectification_days_feedback"]
    )
    linkage_fair_cut_pct = models.PositiveSmallIntegerField(
        "评价为中：压减%", default=FISCAL_YEAR_RULES["linkage_fair_cut_pct"]
    )
    linkage_poor_cut_pct = models.PositiveSmallIntegerField(
        "评价为差：压减%", default=FISCAL_YEAR_RULES["linkage_poor_cut_pct"]
    )

    objects = FiscalYearQuerySet.as_manager()

    class Meta:
        verbose_name = "预算年度"
        verbose_name_plural = "预算年度"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_year"),
            models.CheckConstraint(
                condition=Q(weight_output__gte=0) & Q(weight_effect__gte=0) & Q(weight_satisfaction__gte=0),
                name="fiscal_year_weights_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.year}年度"

    def get_absolute_url(self):
        return reverse("projects:fiscalyear_edit", args=[self.pk])


class ProjectQuerySet(ScopedQuerySet):
    org_lookup = "unit"

    def assigned_to(self, user):
        """Experts and agencies see the projects whose pre-assessment they were given."""
        if user.has_role(Role.AGENCY_EVALUATOR) and user.organization_id:
            return self.filter(preassessment__agency__organization_id=user.organization_id)
        if user.has_role(Role.EXPERT):
            return self.filter(preassessment__experts__user=user).distinct()
        return self.none()

    def with_list_related(self):
        return self.select_related("fiscal_year", "department", "unit", "preassessment")


class Project(models.Model):
    """项目: an entry of the project library 项目库 (DESIGN §2.1)."""

    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name="预算年度", on_delete=models.PROTECT, related_name="projects"
    )
    code = models.CharField("项目编码", max_length=40)
    name = models.CharField("项目名称", max_length=200)
    department = models.ForeignKey(
        Organization, verbose_name="主管部门", on_delete=models.PROTECT, related_name="department_projects"
    )
    unit = models.ForeignKey(
        Organization, verbose_name="实施单位", on_delete=models.PROTECT, related_name="unit_projects"
    )
    responsible_person = models.CharField("项目责任人", max_length=60)
    responsible_phone = models.CharField("责任人电话", max_length=32, blank=True)
    budget_amount = models.DecimalField(
        "预算金额（元）", max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    funding_source = models.CharField("资金来源", max_length=120, blank=True)
    period_start = models.DateField("实施期起")
    period_end = models.DateField("实施期止")
    budget_type = models.CharField(
        "预算类型", max_length=24, choices=BudgetType.choices, default=BudgetType.GENERAL_PUBLIC
    )
    kind = models.CharField("项目类别", max_length=24, choices=ProjectKind.choices, default=ProjectKind.PROJECT)
    is_new = models.BooleanField("新增项目", default=True)
    is_major = models.BooleanField("重大项目", default=False)
    serves_public = models.BooleanField(
        "面向公众服务", default=True, help_text="面向社会公众提供服务的项目须设置满意度指标"
    )
    is_key = models.BooleanField("重点项目", default=False, help_text="由财政部门确定")
    description = models.TextField("项目概述", blank=True)
    status = models.CharField("状态", max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    state_changed_at = models.DateTimeField("状态变更时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    attachments = GenericRelation("projects.Attachment")

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目库"
        ordering = ["-fiscal_year__year", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "code"],
                name="project_code_unique_per_year",
                violation_error_message="本年度已有相同编码的项目，请更换项目编码。",
            ),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="project_period_order"),
            models.CheckConstraint(condition=Q(budget_amount__gt=0), name="project_amount_positive"),
        ]
        indexes = [models.Index(fields=["fiscal_year", "status"]), models.Index(fields=["name"])]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("projects:project_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.unit_id and self.department_id and not self.unit.is_within(self.department):
            errors["unit"] = "实施单位须隶属于所选主管部门。"
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = "实施期止不能早于实施期起。"
        if not (self.responsible_person or "").strip():
            errors["responsible_person"] = "项目责任人不能为空（重大项目终身问责）。"
        if errors:
            raise ValidationError(errors)

    @property
    def is_editable(self) -> bool:
        return self.status in (ProjectStatus.DRAFT, ProjectStatus.RETURNED)

    @property
    def workflow_chain(self):
        from .chains import PROJECT_CHAIN

        return PROJECT_CHAIN

    @property
    def budget_wan(self) -> Decimal:
        return (self.budget_amount / WAN).quantize(Decimal("0.01"))

    @property
    def is_multi_year(self) -> bool:
        """Longer than a year ⇒ whole-cycle tracking (全周期跟踪问效)."""
        return (self.period_end - self.period_start).days > 366

    @property
    def needs_preassessment(self) -> bool:
        """DESIGN §2.2: new major projects, or new ones at/above the year's threshold."""
        return self.is_new and (self.is_major or self.budget_amount >= self.fiscal_year.preassessment_threshold)

    @property
    def preassessment_passed(self) -> bool:
        pa = getattr(self, "preassessment", None)
        return pa is not None and pa.status == PreAssessmentStatus.CONCLUDED and pa.conclusion in SUPPORTIVE_CONCLUSIONS

    def preassessment_gate(self) -> tuple[bool, str]:
        """The rule every later stage asks: may this project go forward? (评估结果作为申请预算的必备要件)"""
        if not self.needs_preassessment or self.preassessment_passed:
            return True, ""
        pa = getattr(self, "preassessment", None)
        if pa is not None and pa.status == PreAssessmentStatus.CONCLUDED:
            return False, f"该项目事前绩效评估结论为“{pa.get_conclusion_display()}”，不能继续申报。"
        return False, "该项目须先完成事前绩效评估，且结论为“予以支持”或“调整后支持”后方可继续。"


class PreAssessmentQuerySet(ScopedQuerySet):
    org_lookup = "project__unit"

    def assigned_to(self, user):
        if user.has_role(Role.AGENCY_EVALUATOR) and user.organization_id:
            return self.filter(agency__organization_id=user.organization_id)
        if user.has_role(Role.EXPERT):
            return self.filter(experts__user=user).distinct()
        return self.none()


class PreAssessment(models.Model):
    """事前绩效评估 of a project (DESIGN §2.2): five dimensions with score and opinion, and a conclusion."""

    project = models.OneToOneField(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="preassessment")
    mode = models.CharField(
        "评估方式", max_length=16, choices=PreAssessmentMode.choices, default=PreAssessmentMode.SELF
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name="受托机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="preassessments",
    )
    experts = models.ManyToManyField(
        "accounts.Expert", verbose_name="评审专家", blank=True, related_name="preassessments"
    )
    status = models.CharField(
        "状态", max_length=16, choices=PreAssessmentStatus.choices, default=PreAssessmentStatus.DRAFT
    )
    state_changed_at = models.DateTimeField("状态变更时间", auto_now_add=True)
    summary = models.TextField("评估综述", blank=True)
    conclusion = models.CharField("评估结论", max_length=32, choices=Conclusion.choices, blank=True)
    conclusion_opinion = models.TextField("结论意见", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    attachments = GenericRelation("projects.Attachment")

    objects = PreAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = "事前绩效评估"
        verbose_name_plural = "事前绩效评估"
        ordering = ["-updated_at"]

    def __str__(self):
        return f"{self.project.name}·事前评估"

    def get_absolute_url(self):
        return reverse("projects:preassessment_detail", args=[self.pk])

    @property
    def workflow_chain(self):
        from .chains import PREASSESSMENT_CHAIN

        return PREASSESSMENT_CHAIN

    @property
    def total_score(self) -> Decimal | None:
        scores = [s.score for s in self.scores.all()]
        if len(scores) < len(Dimension.values) or any(s is None for s in scores):
            return None
        return sum(scores, Decimal("0"))

    @property
    def is_editable(self) -> bool:
        return self.status in (PreAssessmentStatus.DRAFT, PreAssessmentStatus.RETURNED)

    def missing_dimensions(self) -> list[str]:
        filled = {s.dimension for s in self.scores.all() if s.score is not None and s.opinion.strip()}
        return [d.label for d in Dimension if d.value not in filled]


class DimensionScore(models.Model):
    """One of the five dimensions of a pre-assessment: score (0–20) and opinion."""

    preassessment = models.ForeignKey(PreAssessment, on_delete=models.CASCADE, related_name="scores")
    dimension = models.CharField("评估维度", max_length=16, choices=Dimension.choices)
    score = models.DecimalField(
        "得分",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(DIMENSION_MAX_SCORE)],
    )
    opinion = models.TextField("评估意见", blank=True)

    class Meta:
        verbose_name = "评估维度得分"
        verbose_name_plural = "评估维度得分"
        constraints = [
            models.UniqueConstraint(fields=["preassessment", "dimension"], name="one_score_per_dimension"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=DIMENSION_MAX_SCORE)),
                name="dimension_score_range",
            ),
        ]

    def __str__(self):
        return f"{self.get_dimension_display()} {self.score}"


def attachment_path(instance, filename):
    # Random names: the original name is kept in the row, never on disk.
    return f"attachments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}"


class AttachmentQuerySet(models.QuerySet):
    def for_object(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class Attachment(models.Model):
    """附件 on a project, a pre-assessment or (later) any other record; served only through a
    view that checks the record is in the user's scope."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    file = models.FileField("文件", upload_to=attachment_path, max_length=200)
    original_name = models.CharField("文件名", max_length=200)
    kind = models.CharField("类型", max_length=8)
    mime_type = models.CharField("MIME", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    description = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间")

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("projects:attachment_download", args=[self.pk])
