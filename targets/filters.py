"""FilterSets of target sheets and the indicator library, shared by the list pages and the API."""

import django_filters
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Value

from projects.filters import _departments, _units
from workflow.filters import keyword_filter

from .choices import (
    Comparator,
    IndicatorPeriod,
    IndustryField,
    Level1,
    Level2,
    SheetStatus,
    TemplateScope,
    TemplateStatus,
)
from .models import ExpertReview, Indicator, IndicatorTemplate, TargetSheet


def too_low_rows():
    """Indicators that last year's actual already beat by ≥ the year's ``target_too_low_pct``
    (checks.too_low_flag, in SQL). Compared as ``actual × 100`` against ``target × (100 ± pct)``
    so integer percentages are never divided."""
    decimal = DecimalField(max_digits=24, decimal_places=4)
    pct = F("sheet__project__fiscal_year__target_too_low_pct")
    actual = ExpressionWrapper(F("last_year_actual") * Value(100), output_field=decimal)
    above = ExpressionWrapper(F("target_value") * (Value(100) + pct), output_field=decimal)
    below = ExpressionWrapper(F("target_value") * (Value(100) - pct), output_field=decimal)
    return (
        Indicator.objects.filter(
            period=IndicatorPeriod.YEAR, last_year_actual__isnull=False, target_value__isnull=False
        )
        .exclude(target_value=0)
        .annotate(_actual=actual, _above=above, _below=below)
        .filter(
            Q(comparator__in=[Comparator.GTE, Comparator.EQ], _actual__gte=F("_above"))
            | Q(comparator=Comparator.LTE, _actual__lte=F("_below"))
        )
    )


class TargetSheetFilterSet(django_filters.FilterSet):
    q = keyword_filter("project__name", "project__code", "overall_goal")
    year = django_filters.NumberFilter(field_name="project__fiscal_year__year", label="年度")
    project = django_filters.NumberFilter(field_name="project", label="项目 ID")
    department = django_filters.ModelChoiceFilter(
        field_name="project__department", queryset=_departments, label="主管部门"
    )
    unit = django_filters.ModelChoiceFilter(field_name="project__unit", queryset=_units, label="实施单位")
    status = django_filters.ChoiceFilter(choices=SheetStatus.choices, label="状态")
    is_key = django_filters.BooleanFilter(field_name="project__is_key", label="重点项目")
    is_current = django_filters.BooleanFilter(label="仅现行版本")
    adjustment = django_filters.BooleanFilter(method="filter_adjustment", label="调整申请")
    flagged = django_filters.BooleanFilter(method="filter_flagged", label="有目标偏低提示")

    class Meta:
        model = TargetSheet
        fields = []


    def filter_adjustment(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(adjustment_of__isnull=not value)

    def filter_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        flagged = Exists(too_low_rows().filter(sheet=OuterRef("pk")))
        return queryset.filter(flagged) if value else queryset.exclude(flagged)


class IndicatorTemplateFilterSet(django_filters.FilterSet):
    q = keyword_filter("name", "code")
    scope = django_filters.ChoiceFilter(choices=TemplateScope.choices, label="类别")
    field = django_filters.ChoiceFilter(choices=IndustryField.choices, label="行业领域")
    level1 = django_filters.ChoiceFilter(choices=Level1.choices, label="一级指标")
    level2 = django_filters.ChoiceFilter(choices=Level2.choices, label="二级指标")
    status = django_filters.ChoiceFilter(choices=TemplateStatus.choices, label="状态")

    class Meta:
        model = IndicatorTemplate
        fields = []



class IndicatorFilterSet(django_filters.FilterSet):
    """The API's read-only indicator list, by sheet (a number, as for expert reviews)."""

    sheet = django_filters.NumberFilter(field_name="sheet", label="绩效目标表 ID")
    period = django_filters.ChoiceFilter(choices=IndicatorPeriod.choices, label="指标期间")
    level1 = django_filters.ChoiceFilter(choices=Level1.choices, label="一级指标")

    class Meta:
        model = Indicator
        fields = []


class ExpertReviewFilterSet(django_filters.FilterSet):
    # A plain number: an id outside the caller's scope filters to nothing rather than being "invalid".
    sheet = django_filters.NumberFilter(field_name="sheet", label="绩效目标表 ID")
    submitted = django_filters.BooleanFilter(
        field_name="submitted_at", lookup_expr="isnull", exclude=True, label="已提交"
    )

    class Meta:
        model = ExpertReview
        fields = []
