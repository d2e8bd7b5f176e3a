"""FilterSets of dual monitoring, shared by the list pages, the round overview, the Excel export and
the API (one rule, one place)."""

import django_filters
from django.utils import timezone

from projects.filters import _departments, _units
from workflow.filters import keyword_filter

from .choices import (
    OPEN_RECTIFICATION_STATES,
    FundingActionKind,
    FundingActionStatus,
    ImportStatus,
    Judgement,
    Light,
    PeriodKind,
    RectificationStatus,
    ReportStatus,
    RoundStatus,
)
from .models import FundingAction, MonitoringReport, MonitoringRound, MonitoringRow, Rectification, TreasuryImport


class MonitoringRoundFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="fiscal_year__year", label="年度")
    kind = django_filters.ChoiceFilter(choices=PeriodKind.choices, label="周期")
    status = django_filters.ChoiceFilter(choices=RoundStatus.choices, label="状态")

    class Meta:
        model = MonitoringRound
        fields = []


class MonitoringReportFilterSet(django_filters.FilterSet):
    q = keyword_filter("project__name", "project__code")
    # A plain number: a round is a period, not a secret; reports are scoped by visible_to.
    round = django_filters.NumberFilter(field_name="round", label="监控批次 ID")
    year = django_filters.NumberFilter(field_name="round__fiscal_year__year", label="年度")
    department = django_filters.ModelChoiceFilter(
        field_name="project__department", queryset=_departments, label="主管部门"
    )
    unit = django_filters.ModelChoiceFilter(field_name="project__unit", queryset=_units, label="实施单位")
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label="状态")
    light = django_filters.ChoiceFilter(choices=Light.choices, label="综合预警")
    budget_light = django_filters.ChoiceFilter(choices=Light.choices, label="预算执行预警")
    judgement = django_filters.ChoiceFilter(choices=Judgement.choices, label="总体判断")
    is_key = django_filters.BooleanFilter(field_name="project__is_key", label="重点项目")

    class Meta:
        model = MonitoringReport
        fields = []


class MonitoringRowFilterSet(django_filters.FilterSet):
    report = django_filters.NumberFilter(field_name="report", label="监控表 ID")
    light = django_filters.ChoiceFilter(choices=Light.choices, label="预警")

    class Meta:
        model = MonitoringRow
        fields = []


class RectificationFilterSet(django_filters.FilterSet):
    q = keyword_filter("project__name", "project__code", "issues")
    year = django_filters.NumberFilter(field_name="project__fiscal_year__year", label="年度")
    department = django_filters.ModelChoiceFilter(
        field_name="project__department", queryset=_departments, label="主管部门"
    )
    status = django_filters.ChoiceFilter(choices=RectificationStatus.choices, label="状态")
    open = django_filters.BooleanFilter(method="filter_open", label="未完成")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="已逾期")

    class Meta:
        model = Rectification
        fields = []

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(status__in=OPEN_RECTIFICATION_STATES)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue(timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class FundingActionFilterSet(django_filters.FilterSet):
    q = keyword_filter("project__name", "project__code", "reason")
    year = django_filters.NumberFilter(field_name="project__fiscal_year__year", label="年度")
    department = django_filters.ModelChoiceFilter(
        field_name="project__department", queryset=_departments, label="主管部门"
    )
    kind = django_filters.ChoiceFilter(choices=FundingActionKind.choices, label="处置方式")
    status = django_filters.ChoiceFilter(choices=FundingActionStatus.choices, label="状态")
    project = django_filters.NumberFilter(field_name="project", label="项目 ID")

    class Meta:
        model = FundingAction
        fields = []


class TreasuryImportFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="fiscal_year__year", label="年度")
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices, label="状态")

    class Meta:
        model = TreasuryImport
        fields = []
