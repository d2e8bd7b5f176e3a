"""Forms of the project pages. They collect and type the input; the rules live in the models and
in ``projects.services`` (a service's ValidationError is put back on the form by the view)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Agency, Expert

from . import services
from .choices import Dimension, PreAssessmentMode
from .models import WAN, FiscalYear, Project


def bootstrap(form: forms.BaseForm) -> forms.BaseForm:
    """Give every widget its Bootstrap 5 class (form-control, form-select, form-check-input)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def add_service_errors(self, error: ValidationError, aliases: dict | None = None):
        """Put a service's ValidationError on the fields it names (``aliases`` maps a model field
        to the form field that entered it); anything else becomes a form-wide error."""
        aliases = aliases or {}
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for name, errors in error.error_dict.items():
            name = aliases.get(name, name)
            messages = [m for e in errors for m in e.messages]
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)
            else:
                self.add_error(None, messages)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def wan_text(amount: Decimal) -> str:
    """Yuan → 万元 as typed in a form: 6000000 → "600", 1234567.89 → "123.456789"."""
    return format((amount / WAN).normalize(), "f")


class ProjectForm(BootstrapMixin, forms.ModelForm):
    """项目 as a unit clerk enters it. The amount is typed in 万元 and stored in yuan, exactly."""

    budget_wan = forms.DecimalField(
        label="预算金额（万元）",
        max_digits=14,
        decimal_places=6,
        help_text="以万元为单位，最多保留 6 位小数（即精确到分）",
    )

    class Meta:
        model = Project
        fields = [f for f in services.PROJECT_FIELDS if f != "budget_amount"]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    field_order = [
        "fiscal_year", "code", "name", "unit", "responsible_person", "responsible_phone", "budget_wan",
        "funding_source", "period_start", "period_end", "budget_type", "kind", "is_new", "is_major", "description",
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = services.units_for(user)
        self.fields["fiscal_year"].queryset = FiscalYear.objects.all()
        self.fields["fiscal_year"].empty_label = None
        if self.instance.pk:
            self.initial.setdefault("budget_wan", wan_text(self.instance.budget_amount))
        else:
            current = FiscalYear.objects.current()
            self.initial.setdefault("fiscal_year", current.pk if current else None)
            if user.organization_id and self.fields["unit"].queryset.filter(pk=user.organization_id).exists():
                self.initial.setdefault("unit", user.organization_id)

    def service_data(self) -> dict:
        """The cleaned input as ``services.create_project`` / ``update_project`` take it (yuan)."""
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        # Six decimals of 万元 are whole fen: the quantize is exact.
        data["budget_amount"] = (self.cleaned_data["budget_wan"] * WAN).quantize(Decimal("0.01"))
        return data


class PreAssessmentForm(BootstrapMixin, forms.Form):
    """The five dimensions, one score and one opinion each, and the summary. Scores are typed as
    text so the service (not the form) decides what a valid score is."""

    summary = forms.CharField(label="评估综述", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, preassessment, **kwargs):
        rows = {s.dimension: s for s in preassessment.scores.all()}
        initial = {"summary": preassessment.summary}
        for dimension in Dimension:
            row = rows.get(dimension.value)
            if row is not None:
                initial[f"score_{dimension.value}"] = "" if row.score is None else format(row.score.normalize(), "f")
                initial[f"opinion_{dimension.value}"] = row.opinion
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for dimension in Dimension:
            self.fields[f"score_{dimension.value}"] = forms.CharField(
                label=f"{dimension.label}得分",
                required=False,
                widget=forms.NumberInput(attrs={"min": 0, "max": 20, "step": "0.01"}),
            )
            self.fields[f"opinion_{dimension.value}"] = forms.CharField(
                label=f"{dimension.label}意见",
                required=False,
                # The row's <label> names the score; this names the opinion box for screen readers.
                widget=forms.Textarea(attrs={"rows": 2, "aria-label": f"{dimension.label}意见"}),
            )
        bootstrap(self)

    def dimension_rows(self):
        """(label, score field, opinion field) per dimension, for the template."""
        return [(d.label, self[f"score_{d.value}"], self[f"opinion_{d.value}"]) for d in Dimension]

    def service_scores(self) -> dict:
        return {
            d.value: {
                "score": self.cleaned_data[f"score_{d.value}"],
                "opinion": self.cleaned_data[f"opinion_{d.value}"],
            }
            for d in Dimension
        }

    @staticmethod
    def aliases() -> dict:
        # save_preassessment names a dimension's error by its label.
        return {d.label: f"score_{d.value}" for d in Dimension}


class CommissionForm(BootstrapMixin, forms.Form):
    mode = forms.ChoiceField(label="评估方式", choices=PreAssessmentMode.choices, widget=forms.RadioSelect)
    agency = forms.ModelChoiceField(
        label="受托第三方机构", queryset=Agency.objects.none(), required=False, empty_label="（不委托机构）"
    )
    experts = forms.ModelMultipleChoiceField(
        label="评审专家", queryset=Expert.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(is_barred=False).select_related("organization")
        self.fields["experts"].queryset = Expert.objects.filter(is_active=True).select_related("own_department")
        self.fields["experts"].label_from_instance = _expert_label


def _expert_label(expert: Expert) -> str:
    parts = [expert.name, expert.title, expert.fields]
    if expert.own_department_id:
        parts.append(f"回避：{expert.own_department.name}")
    return " · ".join(p for p in parts if p)


class FiscalYearForm(BootstrapMixin, forms.ModelForm):
    """Every rule of a 预算年度. ``is_current`` is a plain field: the service moves the flag."""

    is_current = forms.BooleanField(label="设为当前年度", required=False)

    class Meta:
        model = FiscalYear
        fields = services.FISCAL_YEAR_RULE_FIELDS
        widgets = {
            "project_submission_deadline": DateInput(),
            "target_submission_deadline": DateInput(),
            "self_evaluation_deadline": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("is_current", self.instance.is_current)

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in (*self._meta.fields, "is_current")}


class NewFiscalYearForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)


class CalendarDayForm(BootstrapMixin, forms.Form):
    date = forms.DateField(label="日期", widget=DateInput())
    is_workday = forms.TypedChoiceField(
        label="安排", choices=[("0", "休息（节假日）"), ("1", "上班（调休）")], coerce=lambda v: v == "1"
    )
    name = forms.CharField(label="说明", max_length=60, required=False, help_text="如：国庆节、国庆节调休上班")


class CalendarYearForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    complete = forms.TypedChoiceField(
        label="节假日录入情况", choices=[("1", "已全部录入"), ("0", "尚未录入完整")], coerce=lambda v: v == "1"
    )


class WorkingDaysForm(BootstrapMixin, forms.Form):
    start = forms.DateField(label="起算日", widget=DateInput(), initial=timezone.localdate)
    days = forms.IntegerField(label="工作日数", min_value=0, max_value=3650, initial=7)
