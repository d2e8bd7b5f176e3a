"""Forms of the target pages. They collect and type the input; the rules live in the models, in
``targets.checks`` and in the services (a service's ValidationError is put back on the form)."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.http import QueryDict

from accounts.models import Expert
from projects.forms import BootstrapMixin, _expert_label

from . import library
from .choices import LEVEL2_PARENT, Comparator, IndicatorPeriod, Level1, Level2
from .models import IndicatorTemplate


class TemplateForm(BootstrapMixin, forms.ModelForm):
    """A library template as the office writes it, or as a department proposes it
    (``proposal=True``: no code, no scope — the office decides those)."""

    class Meta:
        model = IndicatorTemplate
        fields = library.TEMPLATE_FIELDS
        widgets = {"scoring_note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, proposal=False, **kwargs):
        super().__init__(*args, **kwargs)
        if proposal:
            for name in ("code", "scope"):
                self.fields.pop(name)
        else:
            self.fields["code"].required = False
            self.fields["code"].help_text = "留空则自动编号"
        self.fields["level2"].help_text = "须属于所选一级指标"

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class RejectTemplateForm(forms.Form):
    opinion = forms.CharField(label="不采纳理由", max_length=300, required=False)


class AdjustmentForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label="调整理由",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="说明调整的原因和拟调整的指标；提交后生成新版本，按原流程审核，批复后替代现行版本。",
    )


class SendToExpertsForm(BootstrapMixin, forms.Form):
    experts = forms.ModelMultipleChoiceField(
        label="评审专家", queryset=Expert.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6})
    )
    opinion = forms.CharField(label="意见（可选）", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = Expert.objects.filter(is_active=True).select_related("own_department")
        self.fields["experts"].label_from_instance = _expert_label


class ExpertReviewForm(BootstrapMixin, forms.Form):
    # Typed as text: the service decides what a valid score is and says so.
    score = forms.CharField(
        label="评分（0–100）", widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.5"})
    )
    comment = forms.CharField(label="评审意见", widget=forms.Textarea(attrs={"rows": 3}))


# --- the sheet editor ------------------------------------------------------------------------

ROW_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_ROWS = 400
ROW_INPUTS = (
    "period", "level2", "name", "comparator", "value", "unit", "weight", "last_year_actual", "template", "note"
)


def number_text(value: Decimal | None) -> str:
    """A stored Decimal as the clerk typed it: 100.0000 → "100", 0.5000 → "0.5"."""
    return "" if value is None else format(value.normalize(), "f")


@dataclass
class EditorRow:
    """One row of the editor as typed (strings), before ``build_rows`` reads it.

    The page asks for the level-2 indicator only (its select is grouped by level 1) and one value
    box: a qualitative row's value is text, the others' a number.
    """

    key: str
    period: str = IndicatorPeriod.YEAR
    level2: str = ""
    name: str = ""
    comparator: str = Comparator.GTE
    value: str = ""
    unit: str = ""
    weight: str = ""
    last_year_actual: str = ""
    template: str = ""
    note: str = ""
    messages: list[str] = field(default_factory=list)

    @property
    def level1(self) -> str:
        return LEVEL2_PARENT.get(self.level2, "")

    def service_row(self) -> dict:
        """The dict of ``services.ROW_FIELDS`` that ``build_rows`` / ``save_sheet`` take."""
        qualitative = self.comparator == Comparator.QUALITATIVE
        return {
            "period": self.period,
            "level1": self.level1,
            "level2": self.level2,
            "name": self.name,
            "comparator": self.comparator,
            "target_value": "" if qualitative else self.value,
            "target_text": self.value if qualitative else "",
            "unit": self.unit,
            "weight": self.weight,
            "last_year_actual": self.last_year_actual,
            "template": self.template,
            "note": self.note,
        }

    @classmethod
    def from_indicator(cls, row, key: str) -> "EditorRow":
        return cls(
            key=key,
            period=row.period,
            level2=row.level2,
            name=row.name,
            comparator=row.comparator,
            value=row.target_text if row.comparator == Comparator.QUALITATIVE else number_text(row.target_value),
            unit=row.unit,
            weight=number_text(row.weight),
            last_year_actual=number_text(row.last_year_actual),
            template=str(row.template_id or ""),
            note=row.note,
        )

    @classmethod
    def from_template(cls, template: IndicatorTemplate, key: str, period: str) -> "EditorRow":
        """A new row prefilled from the library; a numeric suggested value becomes the target."""
        qualitative = template.comparator == Comparator.QUALITATIVE
        suggested = template.suggested_value.strip()
        if not qualitative:
            try:
                Decimal(suggested)
            except ArithmeticError:
                suggested = ""
        return cls(
            key=key,
            period=period,
            level2=template.level2,
            name=template.name,
            comparator=template.comparator,
            value=suggested,
            unit=template.unit,
            template=str(template.pk),
            note=template.data_source[:200],
        )


class SheetEditorForm:
    """The editor's POST: goals and rows keyed by the ``row`` inputs in page order (so dragging a
    row is just moving its inputs). Rows are kept as typed; ``build_rows`` reads them."""

    def __init__(self, data):
        self.overall_goal = data.get("overall_goal", "")
        self.whole_period_goal = data.get("whole_period_goal", "")
        self.rows: list[EditorRow] = []
        self.errors: list[str] = []
        seen = set()
        for key in data.getlist("row"):
            if not ROW_KEY.match(key) or key in seen:
                continue
            seen.add(key)
            values = {name: data.get(f"r{key}-{name}", "").strip() for name in ROW_INPUTS}
            if values["period"] not in IndicatorPeriod.values:
                values["period"] = IndicatorPeriod.YEAR
            self.rows.append(EditorRow(key=key, **values))
        if len(self.rows) > MAX_ROWS:
            self.errors.append(f"一张绩效目标表最多 {MAX_ROWS} 行指标。")
            self.rows = self.rows[:MAX_ROWS]

    @classmethod
    def for_sheet(cls, sheet, new_key) -> "SheetEditorForm":
        """The editor as the saved sheet fills it (rows get fresh keys from ``new_key()``)."""
        form = cls(QueryDict())
        form.overall_goal, form.whole_period_goal = sheet.overall_goal, sheet.whole_period_goal
        form.rows = [EditorRow.from_indicator(row, new_key()) for row in sheet.indicators.all()]
        return form

    @property
    def ordered_rows(self) -> list[EditorRow]:
        """Year rows first, then the whole-period ones: build_rows numbers them in this order, so its
        "第n行" is the row's number in the year table."""
        return [r for r in self.rows if r.period == IndicatorPeriod.YEAR] + [
            r for r in self.rows if r.period != IndicatorPeriod.YEAR
        ]

    def service_rows(self) -> list[dict]:
        return [row.service_row() for row in self.ordered_rows]

    def attach(self, problems):
        """Put each problem that names a row (1-based, in ``ordered_rows``) on that row."""
        rows = self.ordered_rows
        for problem in problems:
            if problem.row is not None and 1 <= problem.row <= len(rows):
                rows[problem.row - 1].messages.append(problem.message)


def level2_groups():
    """Level-2 choices grouped under their level 1, for the editor's select."""
    return [
        (level1.label, [(value, label) for value, label in Level2.choices if LEVEL2_PARENT[value] == level1])
        for level1 in Level1
    ]
