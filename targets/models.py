from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.choices import Role
from accounts.models import ScopedQuerySet
from workflow.errors import RuleViolation

from .choices import (
    EDITABLE_STATES,
    LEVEL2_PARENT,
    LOCKED_STATES,
    Comparator,
    IndicatorPeriod,
    IndustryField,
    Level1,
    Level2,
    SheetStatus,
    TemplateScope,
    TemplateStatus,
)

LOCKED_MESSAGE = "已批复的绩效目标表已锁定，不能修改；如需变更请提交调整申请。"


def _refuse_if_locked(sheet_id):
    """The last line of the lock (DESIGN §2.3): whatever path saves — page, API, import, admin,
    shell — an approved sheet's content is not written. State changes use queryset updates."""
    if sheet_id and TargetSheet.objects.filter(pk=sheet_id, status__in=LOCKED_STATES).exists():
        raise RuleViolation(LOCKED_MESSAGE)


class IndicatorTemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The library is shared: confirmed templates for every signed-in user; proposals for the
        performance office and the department that made them."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.sees_citywide:
            return self.all()
        confirmed = Q(status=TemplateStatus.CONFIRMED)
        if user.organization_id and user.has_role(Role.UNIT_STAFF, Role.DEPT_REVIEWER):
            department = user.organization.department
            if department is not None:
                return self.filter(confirmed | Q(proposed_by=department))
        return self.filter(confirmed)

    def confirmed(self):
        return self.filter(status=TemplateStatus.CONFIRMED)


class IndicatorTemplate(models.Model):
    """指标库 entry: a level-3 indicator to pick when writing targets (DESIGN §2.3)."""

    code = models.CharField("指标编码", max_length=32, unique=True)
    name = models.CharField("三级指标名称", max_length=200)
    level1 = models.CharField("一级指标", max_length=16, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=24, choices=Level2.choices)
    scope = models.CharField("类别", max_length=8, choices=TemplateScope.choices, default=TemplateScope.FIELD)
    field = models.CharField("行业领域", max_length=24, choices=IndustryField.choices, default=IndustryField.GENERAL)
    comparator = models.CharField("比较方式", max_length=12, choices=Comparator.choices)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    suggested_value = models.CharField("参考值", max_length=60, blank=True)
    data_source = models.CharField("数据来源", max_length=200, blank=True)
    scoring_note = models.TextField("评分说明", blank=True)
    status = models.CharField("状态", max_length=12, choices=TemplateStatus.choices, default=TemplateStatus.CONFIRMED)
    proposed_by = models.ForeignKey(
        "accounts.Organization",
        verbose_name="提议部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposed_templates",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = IndicatorTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = "指标模板"
        verbose_name_plural = "指标库"
        ordering = ["level1", "level2", "code"]
        indexes = [models.Index(fields=["field", "status"]), models.Index(fields=["name"])]

    def __str__(self):
        return self.name

    def clean(self):
        if self.level2 and LEVEL2_PARENT.get(self.level2) != self.level1:
            raise ValidationError({"level2": "二级指标与一级指标不匹配。"})


class TargetSheetQuerySet(ScopedQuerySet):
    org_lookup = "project__unit"

    def assigned_to(self, user):
        """Experts see the sheets given to them for review; agencies see no targets."""
        if user.has_role(Role.EXPERT):
            return self.filter(expert_reviews__expert__user=user).distinct()
        return self.none()

    def current(self):
        """The version in force for each project (the newest not superseded)."""
        return self.filter(is_current=True)

    def with_list_related(self):
        return self.select_related("project__fiscal_year", "project__department", "project__unit")


class TargetSheet(models.Model):
    """绩效目标表: one version of a project's targets for a year (DESIGN §2.3).

    Version 1 is written by the unit; each adjustment 调整申请 is a new version that runs through
    the same chain and, when approved, replaces the one in force. Approved versions are locked.
    """

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="target_sheets"
    )
    version = models.PositiveSmallIntegerField("版本", default=1)
    is_current = models.BooleanField("当前版本", default=True)
    status = models.CharField("状态", max_length=16, choices=SheetStatus.choices, default=SheetStatus.DRAFT)
    state_changed_at = models.DateTimeField("状态变更时间", auto_now_add=True)
    overall_goal = models.TextField("年度总体目标", blank=True)
    whole_period_goal = models.TextField("实施期总目标", blank=True)
    adjustment_of = models.ForeignKey(
        "self", verbose_name="调整自", null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    adjustment_reason = models.TextField("调整理由", blank=True)
    approved_at = models.DateTimeField("批复时间", null=True, blank=True)
    publish = models.BooleanField("公开", default=False, help_text="重点项目批复后公开")
    published_snapshot = models.JSONField("公开快照", default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = TargetSheetQuerySet.as_manager()

    class Meta:
        verbose_name = "绩效目标表"
        verbose_name_plural = "绩效目标表"
        ordering = ["-project__fiscal_year__year", "project__code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="one_sheet_per_project_version"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(is_current=True), name="one_current_sheet_per_project"
            ),
        ]

    def __str__(self):
        return f"{self.project.name}·绩效目标 v{self.version}"

    def save(self, *args, **kwargs):
        _refuse_if_locked(self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("targets:sheet_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        _refuse_if_locked(self.pk)
        return super().delete(*args, **kwargs)

    @property
    def workflow_chain(self):
        from .chains import TARGET_CHAIN

        return TARGET_CHAIN

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATES

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATES

    @property
    def is_adjustment(self) -> bool:
        return self.adjustment_of_id is not None


class IndicatorQuerySet(ScopedQuerySet):
    org_lookup = "sheet__project__unit"

    def assigned_to(self, user):
        if user.has_role(Role.EXPERT):
            return self.filter(sheet__expert_reviews__expert__user=user).distinct()
        return self.none()


class Indicator(models.Model):
    """三级指标: one row of a target sheet."""

    sheet = models.ForeignKey(TargetSheet, on_delete=models.CASCADE, related_name="indicators")
    period = models.CharField("指标期间", max_length=8, choices=IndicatorPeriod.choices, default=IndicatorPeriod.YEAR)
    position = models.PositiveIntegerField("序号", default=0)
    level1 = models.CharField("一级指标", max_length=16, choices=Level1.choices)
    level2 = models.CharField("二级指标", max_length=24, choices=Level2.choices)
    name = models.CharField("三级指标", max_length=200)
    comparator = models.CharField("比较方式", max_length=12, choices=Comparator.choices)
    target_value = models.DecimalField("指标值", max_digits=18, decimal_places=4, null=True, blank=True)
    target_text = models.CharField("定性指标值", max_length=200, blank=True)
    unit = models.CharField("计量单位", max_length=20, blank=True)
    weight = models.DecimalField("权重", max_digits=5, decimal_places=2, default=Decimal("0"))
    last_year_actual = models.DecimalField("上年实际值", max_digits=18, decimal_places=4, null=True, blank=True)
    template = models.ForeignKey(
        IndicatorTemplate, verbose_name="指标模板", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("备注", max_length=200, blank=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = "绩效指标"
        verbose_name_plural = "绩效指标"
        ordering = ["sheet", "period", "position", "id"]
        indexes = [models.Index(fields=["sheet", "period", "position"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        _refuse_if_locked(self.sheet_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_locked(self.sheet_id)
        return super().delete(*args, **kwargs)

    @property
    def is_quantitative(self) -> bool:
        return self.comparator != Comparator.QUALITATIVE

    @property
    def value_display(self) -> str:
        if not self.is_quantitative:
            return self.target_text
        value = "" if self.target_value is None else f"{self.target_value.normalize():f}"
        return f"{self.get_comparator_display()}{value}{self.unit}"


class ExpertReviewQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(submitted_at__isnull=True)


class ExpertReview(models.Model):
    """专家评审 of a key project's target sheet: one expert's score and comment."""

    sheet = models.ForeignKey(TargetSheet, on_delete=models.CASCADE, related_name="expert_reviews")
    expert = models.ForeignKey("accounts.Expert", verbose_name="专家", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField("评分", max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField("评审意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    objects = ExpertReviewQuerySet.as_manager()

    class Meta:
        verbose_name = "专家评审"
        verbose_name_plural = "专家评审"
        constraints = [
            models.UniqueConstraint(fields=["sheet", "expert"], name="one_review_per_expert"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)), name="expert_score_range"
            ),
        ]

    def __str__(self):
        return f"{self.expert}·{self.sheet}"
