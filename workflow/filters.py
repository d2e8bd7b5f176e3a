"""Filters of the audit log, shared by the browser page and the API (one rule, one place)."""

import datetime

import django_filters
from django import forms
from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from accounts.choices import Role

from .choices import AuditEventKind
from .models import AuditEvent

# Apps whose models appear as audit objects (ours, plus the user model's app).
OBJECT_APPS = ("accounts", "workflow", "projects", "targets", "monitoring", "evaluation", "feedback", "notifications")


def object_type_choices():
    choices = []
    for app_label in OBJECT_APPS:
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        for model in config.get_models():
            choices.append((model._meta.label_lower, f"{config.verbose_name}·{model._meta.verbose_name}"))
    return choices


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in Asia/Shanghai (the log is browsed by local calendar days)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditEventFilterSet(django_filters.FilterSet):
    since = django_filters.DateFilter(
        label="起始日期", method="filter_since", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        label="截止日期", method="filter_until", widget=forms.DateInput(attrs={"type": "date"})
    )
    user = django_filters.CharFilter(label="用户", field_name="username", lookup_expr="icontains")
    role = django_filters.ChoiceFilter(label="角色", choices=Role.choices, empty_label="全部角色")
    kind = django_filters.ChoiceFilter(label="事件", choices=AuditEventKind.choices, empty_label="全部事件")
    object_type = django_filters.ChoiceFilter(label="对象类型", choices=object_type_choices, empty_label="全部对象")
    object_id = django_filters.CharFilter(label="对象 ID")
    success = django_filters.BooleanFilter(
        label="结果",
        widget=forms.Select(choices=[("", "全部结果"), ("true", "成功"), ("false", "失败")]),
    )

    class Meta:
        model = AuditEvent
        fields = ["since", "until", "user", "role", "kind", "object_type", "object_id", "success"]

    def filter_since(self, queryset, name, value):
        return queryset.filter(at__gte=_start_of(value))

    def filter_until(self, queryset, name, value):
        # Inclusive: the whole of the last day.
        return queryset.filter(at__lt=_start_of(value + datetime.timedelta(days=1)))


def keyword_filter(*fields: str) -> django_filters.CharFilter:
    """The ``?q=`` search box: rows where any of ``fields`` contains the text."""

    def search(queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)

    return django_filters.CharFilter(method=search, label="关键字")
