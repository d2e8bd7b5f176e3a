"""Forms of the monitoring pages. They collect and type the input; the rules live in
``monitoring.services`` (a service's ValidationError is put back on the form by the view).
Money is typed in 万元 and handed to the services in yuan."""

from decimal import Decimal, InvalidOperation

from django import forms

from projects.forms import BootstrapMixin, DateInput, wan_text
from projects.models import WAN, FiscalYear

from .choices import (
    PERIODS_PER_YEAR,
    CompletionOutlook,
    DeviationCause,
    FundingActionKind,
    PaidSource,
    PeriodKind,
    QualitativeProgress,
)
from .models import period_label
from .services import ROW_INPUT_FIELDS

PERIOD_CHOICES = [
    (PeriodKind(kind).label, [(f"{kind}-{n}", period_label(kind, n)) for n in range(1, PERIODS_PER_YEAR[kind] + 1)])
    for kind in (PeriodKind.QUARTER, PeriodKind.HALF_YEAR, PeriodKind.MONTH)
]


class RoundOpenForm(BootstrapMixin, forms.Form):
    fiscal_year = forms.ModelChoiceField(FiscalYear.objects.all(), label="预算年度", empty_label=None)
    period = forms.ChoiceField(
        label="监控期间", choices=PERIOD_CHOICES, initial="quarter-3", help_text="第三季度监控为必报，其余期间按需开启"
    )
    due_date = forms.DateField(
        label="报送截止日",
        required=False,
        widget=DateInput(),
        help_text="留空则按年度规则：期末后 15 日（三季度为 10 月 15 日）",
    )
    note = forms.CharField(label="说明", required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = FiscalYear.objects.current()
        if current is not None:
            self.initial.setdefault("fiscal_year", current.pk)

    def service_args(self) -> dict:
        kind, number = self.cleaned_data["period"].split("-")
        return {
            "fiscal_year": self.cleaned_data["fiscal_year"],
            "kind": kind,
            "number": int(number),
            "due_date": self.cleaned_data["due_date"],
            "note": self.cleaned_data["note"],
        }


def _wan_to_yuan(text: str, errors: list[str], label: str):
    """万元 as typed → yuan as the service takes it; what is not a number goes on as typed so the
    service names it."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        wan = Decimal(text)
    except InvalidOperation:
        return text
    if not wan.is_finite():
        return text
    yuan = wan * WAN
    if yuan != yuan.quantize(Decimal("0.01")):
        errors.append(f"{label}最多保留 6 位小数（即精确到分）。")
        return None
    return yuan


class ReportEditorForm:
    """The report editor's POST: the budget block and one set of fields per row, named
    ``r<row id>-<field>``. Not a Django form: the rows are the report's, and the service reads
    and checks the values (one rule, one place)."""

    def __init__(self, report, rows, data=None):
        self.report, self.rows, self.data = report, rows, data
        self.errors: list[str] = []

    @property
    def paid_is_manual(self) -> bool:
        return self.report.paid_source == PaidSource.MANUAL

    def value(self, name: str, stored):
        if self.data is not None:
            return self.data.get(name, "")
        return "" if stored is None else stored

    def paid_wan(self) -> str:
        stored = self.report.paid_to_date
        return self.value("paid_wan", "" if stored is None else wan_text(stored))

    def text(self, name: str) -> str:
        return self.value(name, getattr(self.report, name))

    def row_values(self, row) -> dict:
        return {name: self.value(f"r{row.pk}-{name}", self._stored(row, name)) for name in ROW_INPUT_FIELDS}

    @staticmethod
    def _stored(row, name):
        value = getattr(row, name)
        return f"{value.normalize():f}" if isinstance(value, Decimal) else value

    def service_data(self) -> dict:
        data = {
            name: self.data.get(name, "") for name in ("summary", "budget_cause", "budget_reason", "budget_measures")
        }
        if self.paid_is_manual:
            data["paid_to_date"] = _wan_to_yuan(self.data.get("paid_wan"), self.errors, "截至期末支付金额")
        data["rows"] = [{"id": row.pk, **self.row_values(row)} for row in self.rows]
        return data


def choices_with_blank(choices) -> list:
    return [("", "请选择"), *choices.choices]


EDITOR_CHOICES = {
    "causes": choices_with_blank(DeviationCause),
    "outlooks": choices_with_blank(CompletionOutlook),
    "progresses": choices_with_blank(QualitativeProgress),
}


class RectificationAnswerForm(BootstrapMixin, forms.Form):
    measures = forms.CharField(label="整改措施", widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.CharField(
        label="整改情况",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="写明已完成的整改及效果；佐证材料请在下方上传附件",
    )


class FundingActionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="处置方式", choices=FundingActionKind.choices, widget=forms.RadioSelect)
    amount_wan = forms.DecimalField(
        label="金额（万元）", max_digits=14, decimal_places=6, min_value=Decimal("0.000001")
    )
    report = forms.ModelChoiceField(label="依据的监控表", queryset=None, required=False, empty_label="（不关联监控表）")
    reason = forms.CharField(label="处置原因", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, reports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].queryset = reports
        self.fields["report"].label_from_instance = lambda r: (
            f"{r.round.fiscal_year.year}年{r.round.period_label}（{r.get_light_display() or '未计算'}）"
        )
        latest = reports.first()
        if latest is not None:
            self.initial.setdefault("report", latest.pk)

    def service_args(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "amount": (data["amount_wan"] * WAN).quantize(Decimal("0.01")),
            "reason": data["reason"],
            "report": data["report"],
        }


class LiftForm(BootstrapMixin, forms.Form):
    lift_reason = forms.CharField(label="解除原因", widget=forms.Textarea(attrs={"rows": 3}))
