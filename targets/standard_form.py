"""The standard form 项目支出绩效目标申报表 (DESIGN §2.3): what departments already keep their
targets in, read back into indicator rows and printed (Excel here, PDF in targets/pdf.py) with
the recorded review opinions — the copy that gets stamped and archived.

``build_form`` gathers what the form shows from one sheet; the Excel writer and the PDF template
both print that, so the two copies cannot disagree. ``read_form`` reads one worksheet of a filled
form (one worksheet per project) into rows for ``services.build_rows``. The cell-value parsers at
the top are shared with the flat template (targets/excel.py).
"""

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
from django.utils import timezone
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from projects.excel import cell_text, normalise_header, safe_cell
from workflow.models import ReviewRecord

from .choices import Comparator, IndicatorPeriod, Level1, Level2, SheetStatus

TITLE = "项目支出绩效目标申报表"


@dataclass(frozen=True)
class RowError:
    """One problem of an import: worksheet, Excel row (None: the whole sheet or file), column
    header, message."""

    sheet_name: str
    row: int | None
    column: str
    message: str


class CellError(Exception):
    pass


# --------------------------------------------------------------- cell values (shared with the flat template)


def _aliases(choices, extra: dict | None = None) -> dict[str, str]:
    """Every spelling a person may type for a choice: the value, the label, the label without
    its trailing 指标, plus ``extra``."""
    found = {}
    for value, label in choices.choices:
        for spelling in (value, label, label.removesuffix("指标")):
            found[normalise_header(spelling)] = value
    for spelling, value in (extra or {}).items():
        found[normalise_header(spelling)] = value
    return found


CHOICE_ALIASES = {
    "period": _aliases(IndicatorPeriod, {"年度": IndicatorPeriod.YEAR, "实施期": IndicatorPeriod.WHOLE}),
    "level1": _aliases(Level1),
    "level2": _aliases(Level2, {"服务对象满意度": Level2.SERVICE_SATISFACTION, "满意度": Level2.SERVICE_SATISFACTION}),
    "comparator": _aliases(
        Comparator,
        {
            ">=": Comparator.GTE,
            "＞＝": Comparator.GTE,
            "大于等于": Comparator.GTE,
            "≧": Comparator.GTE,
            "<=": Comparator.LTE,
            "＜＝": Comparator.LTE,
            "小于等于": Comparator.LTE,
            "≦": Comparator.LTE,
            "＝": Comparator.EQ,
            "等于": Comparator.EQ,
        },
    ),
}
CHOICE_LABELS = {
    "period": ("年度", "实施期"),
    "level1": tuple(Level1.labels),
    "level2": tuple(Level2.labels),
    "comparator": tuple(Comparator.labels),
}


def choice_value(kind: str, raw, header: str) -> str:
    """A typed label (or value) → the choice value; CellError naming what is allowed."""
    text = cell_text(raw)
    if not text:
        raise CellError(f"请填写{header}。")
    value = CHOICE_ALIASES[kind].get(normalise_header(text))
    if value is None:
        raise CellError(f"{header}“{text}”无效，可选：{'、'.join(CHOICE_LABELS[kind])}。")
    return value


def number_text(raw) -> str:
    """A number cell as text for ``build_rows`` (which parses it exactly); floats typed as whole
    numbers lose their “.0”."""
    if raw is None:
        return ""
    if isinstance(raw, float):
        return repr(int(raw)) if raw.is_integer() else repr(raw)
    return cell_text(raw)


_VALUE_RE = re.compile(
    r"^(?P<op>≥|≤|>=|<=|＞＝|＜＝|≧|≦|=|＝|>|<|＞|＜)?\s*(?P<num>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>.*)$"
)
_OPERATORS = {
    "≥": Comparator.GTE,
    ">=": Comparator.GTE,
    "＞＝": Comparator.GTE,
    "≧": Comparator.GTE,
    ">": Comparator.GTE,
    "＞": Comparator.GTE,
    "≤": Comparator.LTE,
    "<=": Comparator.LTE,
    "＜＝": Comparator.LTE,
    "≦": Comparator.LTE,
    "<": Comparator.LTE,
    "＜": Comparator.LTE,
    "=": Comparator.EQ,
    "＝": Comparator.EQ,
    None: Comparator.EQ,
}


def split_value(raw) -> dict:
    """The form's one 指标值 cell (“≥95%”, “20间”, “显著提升”) → comparator, value, unit, text."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        return {"comparator": Comparator.EQ, "target_value": number_text(raw), "unit": "", "target_text": ""}
    text = cell_text(raw)
    match = _VALUE_RE.match(text)
    if match is None:
        return {"comparator": Comparator.QUALITATIVE, "target_value": "", "unit": "", "target_text": text}
    return {
        "comparator": _OPERATORS[match["op"]],
        "target_value": match["num"],
        "unit": match["unit"].strip(),
        "target_text": "",
    }


# --------------------------------------------------------------- what the form shows


@dataclass
class FormRow:
    level1: str
    level2: str
    name: str
    value: str
    weight: Decimal
    note: str


@dataclass
class Opinion:
    label: str
    opinion: str = ""
    reviewer: str = ""
    date: datetime.date | None = None


@dataclass
class StandardForm:
    year: int
    project_code: str
    project_name: str
    attribute: str
    department: str
    unit: str
    responsible: str
    period: str
    total_wan: Decimal
    appropriation_wan: Decimal
    other_wan: Decimal
    whole_period_goal: str
    overall_goal: str
    whole_rows: list[FormRow]
    year_rows: list[FormRow]
    opinions: list[Opinion]
    version: int
    status_note: str  # “已批复（2026-03-01）” or a warning that this is not the approved copy
    approved: bool
    multi_year: bool = False
    generated_at: datetime.datetime = field(default_factory=timezone.now)


# The review steps printed, by the state the approval left: (from_state, label).
OPINION_STEPS = (
    (SheetStatus.DEPT_REVIEW, "主管部门审核意见"),
    (None, "第三方机构评审意见"),  # the experts of a key project
    (SheetStatus.FINANCE_REVIEW, "财政局业务科室审核意见"),
    (SheetStatus.OFFICE_REVIEW, "财政局绩效科审核意见"),
)


def _local_date(moment) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def _opinions(sheet) -> list[Opinion]:
    """The last approval of each step (an earlier return is history, not the form's opinion) and
    the experts' scores and comments."""
    approvals = {}
    for record in ReviewRecord.objects.for_object(sheet).filter(action="approve"):
        approvals[record.from_state] = record  # ordered by time: the last one wins
    opinions = []
    for state, label in OPINION_STEPS:
        if state is None:
            reviews = [r for r in sheet.expert_reviews.select_related("expert") if r.submitted_at]
            opinions.append(
                Opinion(
                    label,
                    "；".join(f"{r.expert.name}（评分 {r.score.normalize():f}）：{r.comment}" for r in reviews),
                    "、".join(r.expert.name for r in reviews),
                    _local_date(max((r.submitted_at for r in reviews), default=None)),
                )
            )
            continue
        record = approvals.get(state)
        if record is None:
            opinions.append(Opinion(label))
        else:
            opinions.append(
                Opinion(label, record.opinion or record.decision, str(record.actor), _local_date(record.at))
            )
    return opinions


def _form_row(row) -> FormRow:
    return FormRow(
        row.get_level1_display(), row.get_level2_display(), row.name, row.value_display, row.weight, row.note
    )


def _wan(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


def build_form(sheet) -> StandardForm:
    """What the standard form of ``sheet`` shows. 财政拨款 is the project's budget amount (the
    appropriation being applied for); 其他资金 is 0 — the library records no other funds."""
    project = sheet.project
    rows = list(sheet.indicators.all())
    if sheet.status == SheetStatus.APPROVED:
        status_note = f"已批复（{_local_date(sheet.approved_at) or ''}）"
    elif sheet.status == SheetStatus.SUPERSEDED:
        status_note = f"已批复，已被调整替代（第{sheet.version}版，仅供查阅）"
    else:
        status_note = f"{sheet.get_status_display()}（未批复，仅供核对）"
    phone = f" {project.responsible_phone}" if project.responsible_phone else ""
    return StandardForm(
        year=project.fiscal_year.year,
        project_code=project.code,
        project_name=project.name,
        attribute="新增" if project.is_new else "延续",
        department=f"{project.department.name}（{project.department.code}）",
        unit=project.unit.name,
        responsible=f"{project.responsible_person}{phone}",
        period=f"{project.period_start:%Y-%m-%d} 至 {project.period_end:%Y-%m-%d}",
        total_wan=_wan(project.budget_wan),
        appropriation_wan=_wan(project.budget_wan),
        other_wan=Decimal("0.00"),
        whole_period_goal=sheet.whole_period_goal,
        overall_goal=sheet.overall_goal,
        whole_rows=[_form_row(r) for r in rows if r.period == IndicatorPeriod.WHOLE],
        year_rows=[_form_row(r) for r in rows if r.period == IndicatorPeriod.YEAR],
        opinions=_opinions(sheet),
        version=sheet.version,
        status_note=status_note,
        approved=sheet.status in (SheetStatus.APPROVED, SheetStatus.SUPERSEDED),
        multi_year=project.is_multi_year,
    )


def form_sheets(queryset):
    """The sheets ready for ``build_form``: what it reads, fetched up front."""
    return queryset.select_related("project__fiscal_year", "project__department", "project__unit").prefetch_related(
        "indicators"
    )


# --------------------------------------------------------------- writing the form (Excel)

COLUMNS = (("", 14), ("一级指标", 11), ("二级指标", 14), ("指标内容", 30), ("指标值", 16), ("权重", 7), ("备注", 18))
LAST_COLUMN = len(COLUMNS)
TABLE_HEADERS = [c for c, _ in COLUMNS[1:]]
WHOLE_SECTION, YEAR_SECTION = "实施期绩效指标", "年度绩效指标"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
_BOLD = Font(bold=True)


class _FormWriter:
    """Appends the form's rows to a worksheet, remembering the merges and styles to apply."""

    def __init__(self, ws):
        self.ws = ws

    def put(self, values: list, *, merges=(), labels=(), center=(), height=None) -> int:
        """Append one row (values by column, None where merged); ``merges`` are (first, last)
        column pairs; ``labels`` columns are bold and centred."""
        values = list(values) + [None] * (LAST_COLUMN - len(values))
        self.ws.append([safe_cell(self.ws, v) if v is not None else None for v in values])
        number = self.ws.max_row
        for column in range(1, LAST_COLUMN + 1):
            cell = self.ws.cell(row=number, column=column)
            cell.border = _BORDER
            cell.alignment = _CENTER if column in labels or column in center else _WRAP
            if column in labels:
                cell.font = _BOLD
        for first, last in merges:
            self.ws.merge_cells(start_row=number, start_column=first, end_row=number, end_column=last)
        if height:
            self.ws.row_dimensions[number].height = height
        return number

    def merge_down(self, column: int, first_row: int, last_row: int):
        if last_row > first_row:
            self.ws.merge_cells(start_row=first_row, start_column=column, end_row=last_row, end_column=column)


def _goal_height(text: str) -> int:
    return min(max(30, 15 * (len(text) // 40 + 1)), 200)


def _indicator_section(writer: _FormWriter, label: str, rows: list[FormRow]):
    header = writer.put([label, *TABLE_HEADERS], labels=range(1, LAST_COLUMN + 1))
    first = header
    # Consecutive rows of one level 1 (and of one level 2 within it) share a merged cell, as
    # on the paper form; the reader carries a blank level down again.
    groups = []
    for row in rows:
        number = writer.put(
            [None, row.level1, row.level2, row.name, row.value, row.weight, row.note], center=(2, 3, 5, 6)
        )
        writer.ws.cell(row=number, column=6).number_format = "0.##"
        groups.append((number, row.level1, row.level2))
    if not rows:
        writer.put([None, None, None, "（无）"])
    writer.merge_down(1, first, writer.ws.max_row)
    for column, key in ((2, lambda g: g[1]), (3, lambda g: (g[1], g[2]))):
        start = 0
        for index in range(1, len(groups) + 1):
            if index == len(groups) or key(groups[index]) != key(groups[start]):
                writer.merge_down(column, groups[start][0], groups[index - 1][0])
                start = index


def write_form(ws, form: StandardForm):
    """Lay ``form`` out on an empty worksheet: header block, goals, the indicator tables (whole
    period for multi-year projects, then the year), the review opinions; A4 print setup."""
    for index, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    w = _FormWriter(ws)
    title = w.put([TITLE], merges=[(1, LAST_COLUMN)], height=30)
    ws.cell(row=title, column=1).font = Font(bold=True, size=16)
    ws.cell(row=title, column=1).alignment = _CENTER
    sub = w.put([f"（{form.year}年度）"], merges=[(1, LAST_COLUMN)], center=(1,))
    for column in range(1, LAST_COLUMN + 1):
        ws.cell(row=title, column=column).border = Border()
        ws.cell(row=sub, column=column).border = Border()
    pair = {"merges": [(2, 4), (6, 7)], "labels": (1, 5)}
    w.put(["项目名称", form.project_name, None, None, "项目编码", form.project_code], **pair)
    w.put(["主管部门及编码", form.department, None, None, "实施单位", form.unit], **pair)
    w.put(["项目属性", form.attribute, None, None, "项目负责人及电话", form.responsible], **pair)
    w.put(["起止时间", form.period, None, None, "版本及状态", f"第{form.version}版 {form.status_note}"], **pair)
    money = w.put(["项目资金（万元）", "资金总额", None, form.total_wan], merges=[(2, 3), (4, 7)], labels=(1, 2))
    w.put([None, "其中：财政拨款", None, form.appropriation_wan], merges=[(2, 3), (4, 7)], labels=(2,))
    w.put([None, "其他资金", None, form.other_wan], merges=[(2, 3), (4, 7)], labels=(2,))
    for number in range(money, money + 3):
        ws.cell(row=number, column=4).number_format = "#,##0.00"
    w.merge_down(1, money, money + 2)
    w.put(
        ["总目标", form.whole_period_goal],
        merges=[(2, LAST_COLUMN)],
        labels=(1,),
        height=_goal_height(form.whole_period_goal),
    )
    w.put(
        ["年度目标", form.overall_goal], merges=[(2, LAST_COLUMN)], labels=(1,), height=_goal_height(form.overall_goal)
    )
    if form.multi_year or form.whole_rows:
        _indicator_section(w, WHOLE_SECTION, form.whole_rows)
    _indicator_section(w, YEAR_SECTION, form.year_rows)
    for opinion in form.opinions:
        top = w.put([opinion.label, opinion.opinion], merges=[(2, LAST_COLUMN)], labels=(1,), height=45)
        date = f"{opinion.date:%Y年%m月%d日}" if opinion.date else "    年  月  日"
        signed = f"审核人：{opinion.reviewer or '          '}        日期：{date}        （盖章）"
        w.put([None, signed], merges=[(2, LAST_COLUMN)])
        ws.cell(row=top + 1, column=2).alignment = Alignment(horizontal="right", vertical="center")
        w.merge_down(1, top, top + 1)

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.print_area = f"A1:{get_column_letter(LAST_COLUMN)}{ws.max_row}"


_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(code: str, taken: set) -> str:
    base = _SHEET_TITLE_FORBIDDEN.sub("_", code).strip("'")[:28] or "项目"
    title, n = base, 1
    while title in taken:
        n += 1
        title = f"{base[:26]}_{n}"
    taken.add(title)
    return title


def standard_form_workbook(sheets) -> bytes:
    """One worksheet per sheet (named by project code), each laid out as the standard form.
    ``sheets`` come from ``form_sheets(TargetSheet.objects.visible_to(user)...)``."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    taken: set = set()
    for sheet in sheets:
        write_form(wb.create_sheet(_sheet_title(sheet.project.code, taken)), build_form(sheet))
    if not wb.worksheets:
        wb.create_sheet(TITLE)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def form_filename(sheet) -> tuple[str, str]:
    """(Chinese file stem, ASCII fallback stem) of a sheet's printed form."""
    project = sheet.project
    return (
        f"{TITLE}_{project.fiscal_year.year}_{project.code}_v{sheet.version}",
        f"target-form-{project.fiscal_year.year}-{sheet.pk}-v{sheet.version}",
    )


# --------------------------------------------------------------- reading a filled form

_LABELS = {
    "项目名称": "project_name",
    "项目编码": "project_code",
    "项目代码": "project_code",
    "总目标": "whole_period_goal",
    "实施期总目标": "whole_period_goal",
    "中长期目标": "whole_period_goal",
    "年度目标": "overall_goal",
    "年度总体目标": "overall_goal",
}
_TABLE_COLUMNS = {
    "一级指标": "level1",
    "二级指标": "level2",
    "指标内容": "name",
    "三级指标": "name",
    "指标值": "value",
    "权重": "weight",
    "权重（分）": "weight",
    "分值": "weight",
    "比较方式": "comparator",
    "计量单位": "unit",
    "备注": "note",
}
_YEAR_RE = re.compile(r"(\d{4})\s*年度")


@dataclass
class SourceRow:
    """One indicator row read from a workbook: where it was and the ROW_FIELDS it gave."""

    sheet_name: str
    row: int
    data: dict
    # A blank (merged) level cell under one whose value was wrong: that row carries the error.
    inherits_error: bool = False


@dataclass
class ParsedForm:
    sheet_name: str
    first_row: int = 1
    year: int | None = None
    project_code: str = ""
    project_name: str = ""
    overall_goal: str | None = None
    whole_period_goal: str | None = None
    rows: list[SourceRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def looks_like_form(rows: list[tuple[int, tuple]]) -> bool:
    """A worksheet is a standard form if its title is there, or it has a 项目名称 label and an
    indicator table header."""
    texts = {normalise_header(v) for _, values in rows[:60] for v in values if v is not None}
    if any(TITLE in t for t in texts):
        return True
    return "项目名称" in texts and "一级指标" in texts and "二级指标" in texts


def _next_value(values: tuple, index: int):
    for value in values[index + 1 :]:
        if value is not None and cell_text(value) != "":
            return value
    return None


def _section_period(label: str, tables_seen: int) -> str:
    if "实施期" in label or "中长期" in label or "总体" in label:
        return IndicatorPeriod.WHOLE
    if "年度" in label:
        return IndicatorPeriod.YEAR
    return IndicatorPeriod.YEAR if tables_seen == 0 else IndicatorPeriod.WHOLE


def read_form(sheet_name: str, rows: list[tuple[int, tuple]]) -> ParsedForm:
    """Read one worksheet of a filled standard form: the header labels (项目编码 or 项目名称,
    年度), the two goals and the indicator tables, stopping at the review opinions.

    Rows come back as ROW_FIELDS dicts (choice values) for ``services.build_rows``; a blank
    一级/二级指标 repeats the one above (merged cells on the paper form).
    """
    form = ParsedForm(sheet_name, first_row=rows[0][0] if rows else 1)
    columns: dict[str, int] | None = None
    period = IndicatorPeriod.YEAR
    tables = 0
    above = {"level1": "", "level2": "", "bad": False}
    previous: list[str] = []
    for number, values in rows:
        texts = [normalise_header(v) if v is not None else "" for v in values]
        if form.year is None:
            for text in texts:
                if (match := _YEAR_RE.search(text)) is not None:
                    form.year = int(match[1])
                    break
        if "一级指标" in texts and "二级指标" in texts:
            columns = {_TABLE_COLUMNS[t]: i for i, t in enumerate(texts) if t in _TABLE_COLUMNS}
            # The section's name stands before 一级指标 in its header row, or on the row above.
            label = "".join(texts[: columns["level1"]]) or "".join(previous)
            period = _section_period(label, tables)
            tables += 1
            above = {"level1": "", "level2": "", "bad": False}
            continue
        if sum(1 for t in texts if t) == 1:
            previous = texts  # a one-cell title row such as “年度绩效指标”
        if columns is not None and any("意见" in t for t in texts[: columns["level1"] + 1]):
            break  # the review opinions: not the clerk's to import
        if columns is None:
            for index, text in enumerate(texts):
                key = _LABELS.get(text)
                if key is None:
                    continue
                value = _next_value(values, index)
                if key in ("overall_goal", "whole_period_goal"):
                    setattr(form, key, cell_text(value))
                elif not getattr(form, key):
                    setattr(form, key, cell_text(value))
            continue
        row = _read_table_row(form, number, values, columns, period, above)
        if row is not None:
            form.rows.append(row)
    return form


def _cell(values: tuple, columns: dict, key: str):
    index = columns.get(key)
    return values[index] if index is not None and index < len(values) else None


def _read_table_row(form, number, values, columns, period, above) -> SourceRow | None:
    name = cell_text(_cell(values, columns, "name"))
    raw_value = _cell(values, columns, "value")
    if not name and cell_text(raw_value) == "":
        return None  # blank, or the “（无）” placeholder of an empty table
    if name == "（无）":
        return None
    data = {"period": period, "name": name, "note": cell_text(_cell(values, columns, "note"))}
    errors = []
    inherits = False
    for key, header in (("level1", "一级指标"), ("level2", "二级指标")):
        raw = _cell(values, columns, key)
        if cell_text(raw) == "" and (above[key] or above["bad"]):
            data[key] = above[key]
            inherits = inherits or not above[key]
            continue
        try:
            data[key] = choice_value(key, raw, header)
        except CellError as error:
            data[key] = ""
            errors.append(RowError(form.sheet_name, number, header, str(error)))
        if key == "level1" and data[key] != above["level1"]:
            above["level2"] = ""  # a new level 1 starts its own level 2 group
        above[key] = data[key]
        above["bad"] = bool(errors)
    if "comparator" in columns:  # a form with separate 比较方式 / 计量单位 columns
        try:
            data["comparator"] = choice_value("comparator", _cell(values, columns, "comparator"), "比较方式")
        except CellError as error:
            data["comparator"] = ""
            errors.append(RowError(form.sheet_name, number, "比较方式", str(error)))
        quantitative = data["comparator"] != Comparator.QUALITATIVE
        data["target_value"] = number_text(raw_value) if quantitative else ""
        data["target_text"] = "" if quantitative else cell_text(raw_value)
        data["unit"] = cell_text(_cell(values, columns, "unit"))
    else:
        data.update(split_value(raw_value))
    data["weight"] = number_text(_cell(values, columns, "weight"))
    form.errors.extend(errors)
    return SourceRow(form.sheet_name, number, data, inherits_error=inherits)
