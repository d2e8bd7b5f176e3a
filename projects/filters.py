"""FilterSets of the project library, shared by the list page and the API (one rule, one place)."""

import django_filters

from accounts.models import Organization
from workflow.filters import keyword_filter

from .choices import BudgetType, PreAssessmentStatus, ProjectKind, ProjectStatus
from .models import FiscalYear, PreAssessment, Project


def _departments(request):
    if request is None:
        return Organization.objects.none()
    return Organization.objects.departments().visible_to(request.user)


def _units(request):
    if request is None:
        return Organization.objects.none()
    return Organization.objects.units().visible_to(request.user)


class ProjectFilterSet(django_filters.FilterSet):
    q = keyword_filter("name", "code", "responsible_person")
    fiscal_year = django_filters.ModelChoiceFilter(
        field_name="fiscal_year", queryset=FiscalYear.objects.all(), label="预算年度"
    )
    year = django_filters.NumberFilter(field_name="fiscal_year__year", label="年度")
    department = django_filters.ModelChoiceFilter(queryset=_departments, label="主管部门")
    unit = django_filters.ModelChoiceFilter(queryset=_units, label="实施单位")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices, label="状态")
    budget_type = django_filters.ChoiceFilter(choices=BudgetType.choices, label="预算类型")
    kind = django_filters.ChoiceFilter(choices=ProjectKind.choices, label="项目类别")
    is_new = django_filters.BooleanFilter(label="新增项目")
    is_major = django_filters.BooleanFilter(label="重大项目")
    is_key = django_filters.BooleanFilter(label="重点项目")
    amount_min = django_filters.NumberFilter(field_name="budget_amount", lookup_expr="gte", label="金额不低于（元）")
    amount_max = django_filters.NumberFilter(field_name="budget_amount", lookup_expr="lte", label="金额不高于（元）")
    preassessment_status = django_filters.ChoiceFilter(
        field_name="preassessment__status", choices=PreAssessmentStatus.choices, label="事前评估状态"
    )

    class Meta:
        model = Project
        fields = []



class PreAssessmentFilterSet(django_filters.FilterSet):
    q = keyword_filter("project__name", "project__code")
    year = django_filters.NumberFilter(field_name="project__fiscal_year__year", label="年度")
    department = django_filters.ModelChoiceFilter(
        field_name="project__department", queryset=_departments, label="主管部门"
    )
    status = django_filters.ChoiceFilter(choices=PreAssessmentStatus.choices, label="状态")
    mode = django_filters.CharFilter(label="评估方式")
    conclusion = django_filters.CharFilter(label="评估结论")

    class Meta:
        model = PreAssessment
        fields = []

