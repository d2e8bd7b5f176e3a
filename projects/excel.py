"""Excel template, import and export of the project library 项目库 (DESIGN §2.1, §5).

Import is all-or-nothing: every row is validated, every error is reported with its row and
column, and nothing is written unless the whole file is clean. Rows are created through
``services.create_project`` (the same rules as the form and the API) inside one transaction.
"""

import datetime
import io
import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import openpyxl
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from workflow.audit import AuditEventKind, record_event
from workflow.errors import TransitionForbidden, WorkflowError

from . import permissions, services
from .choices import BudgetType, ProjectKind
from .models import WAN, FiscalYear, Project
from .uploads import check_ooxml_zip, check_size, deny

# openpyxl parses XML with the standard library unless defusedxml is importable; an uploaded
# workbook could then expand entities (billion laughs). Refuse to run without it.
if not openpyxl.DEFUSEDXML:
    raise ImproperlyConfigured("openpyxl 须在安装 defusedxml 的环境中运行（pip install defusedxml）。")

logger = logging.getLogger(__name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "项目库"
HELP_SHEET = "填写说明"
IMPORT_MAX_ROWS = 10000
IMPORT_MAX_COLUMNS = 60  # more than any sane file; bounds what a hostile sheet makes us read
YES, NO = "是", "否"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    width: int


# The template's columns, in order; import and export share them.
COLUMNS = (
    Column("预算年度", "fiscal_year", True, 10),
    Column("项目编码", "code", True, 18),
    Column("项目名称", "name", True, 36),
    Column("实施单位编码", "unit", True, 14),
    Column("项目责任人", "responsible_person", True, 12),
    Column("责任人电话", "responsible_phone", False, 16),
    Column("预算金额（万元）", "budget_amount", True, 16),
    Column("资金来源", "funding_source", False, 20),
    Column("实施期起", "period_start", True, 12),
    Column("实施期止", "period_end", True, 12),
    Column("预算类型", "budget_type", True, 18),
    Column("项目类别", "kind", True, 18),
    Column("是否新增", "is_new", True, 10),
    Column("是否重大", "is_major", True, 10),
    Column("项目概述", "description", False, 50),
)
EXPORT_EXTRA_COLUMNS = (("主管部门", 24), ("状态", 14), ("事前评估状态", 20), ("是否重点", 10))
HEADER_OF_FIELD = {c.field: c.header for c in COLUMNS} | {"department": "实施单位编码"}

TEMPLATE_FILENAME = "项目库导入模板.xlsx"


def export_filename(today: datetime.date) -> str:
    return f"项目库导出_{today:%Y%m%d}.xlsx"


@dataclass(frozen=True)
class RowError:
    """One problem of an import: Excel row number (None: the file itself), column header, message."""

    row: int | None
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class CellError(Exception):
    """A cell that cannot be read; the message says what is wrong with it (other imports reuse it)."""


# ---------------------------------------------------------------- template


def _help_lists(user) -> dict[str, list]:
    """The allowed values, one column each on 填写说明 (the order is used by the dropdowns)."""
    units = list(services.units_for(user).order_by("code").values_list("code", "name"))
    return {
        "预算类型": list(BudgetType.labels),
        "项目类别": list(ProjectKind.labels),
        "是/否": [YES, NO],
        "预算年度": list(FiscalYear.objects.order_by("year").values_list("year", flat=True)),
        "可填报的单位编码": [code for code, _ in units],
        "单位名称": [name for _, name in units],
    }


INSTRUCTIONS = (
    "1. 请在“项目库”工作表填写，第一行为表头，请勿修改、删除或调换列；从第二行起每行一个项目。",
    "2. 预算金额以万元为单位，最多精确到分（万元后六位小数），须大于 0。",
    "3. 实施期起、实施期止按 2026-01-01 格式填写，实施期止不得早于实施期起。",
    "4. 项目编码在同一预算年度内不得重复；实施单位编码只能填写本表所列的单位。",
    "5. 预算类型、项目类别、是否新增、是否重大请从下拉列表选择；项目责任人不能为空（重大项目终身问责）。",
    "6. 任何一行有误时整份文件都不会导入，系统会逐行列出错误，修改后重新上传即可。",
    "7. 新增且重大、或新增且金额达到年度门槛（默认 500 万元）的项目须开展事前绩效评估。",
)


def build_template(user) -> bytes:
    """The import template: sheet 项目库 with the headers and dropdowns, sheet 填写说明 with the
    allowed values and the units this user may file for."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([c.header for c in COLUMNS])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.fill = bold, fill
        if column.required:
            cell.font = Font(bold=True, color="C00000")
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet(HELP_SHEET)
    lists = _help_lists(user)
    for col, (title, values) in enumerate(lists.items(), start=1):
        help_ws.cell(row=1, column=col, value=title).font = bold
        help_ws.column_dimensions[get_column_letter(col)].width = 22 if col <= 4 else 30
        for row, value in enumerate(values, start=2):
            help_ws.cell(row=row, column=col, value=value)
    note_col = len(lists) + 2
    help_ws.cell(row=1, column=note_col, value="填写说明").font = bold
    help_ws.column_dimensions[get_column_letter(note_col)].width = 90
    for row, text in enumerate(INSTRUCTIONS, start=2):
        help_ws.cell(row=row, column=note_col, value=text).alignment = Alignment(wrap_text=True)

    # Dropdowns on the data sheet point at the lists above (inline lists are capped at 255 chars).
    list_columns = {"budget_type": 1, "kind": 2, "is_new": 3, "is_major": 3, "fiscal_year": 4, "unit": 5}
    last_row = IMPORT_MAX_ROWS + 1
    for index, column in enumerate(COLUMNS, start=1):
        source = list_columns.get(column.field)
        if source is None:
            continue
        count = len(list(lists.values())[source - 1])
        if count == 0:
            continue
        letter = get_column_letter(source)
        validation = DataValidation(
            type="list",
            formula1=f"'{HELP_SHEET}'!${letter}$2:${letter}${count + 1}",
            allow_blank=not column.required,
            showErrorMessage=True,
            errorTitle="取值无效",
            error=f"请从下拉列表中选择{column.header}。",
        )
        ws.add_data_validation(validation)
        target = get_column_letter(index)
        validation.add(f"{target}2:{target}{last_row}")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- import


def normalise_header(value) -> str:
    return "".join(str(value or "").split()).replace("(", "（").replace(")", "）")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number comes back as 2026001.0
    if isinstance(value, datetime.datetime):
        value = value.date()
    return str(value).strip()


def _required_text(value, header: str) -> str:
    text = cell_text(value)
    if not text:
        raise CellError(f"{header}不能为空。")
    return text


def _parse_year(value, years: dict) -> FiscalYear:
    text = _required_text(value, "预算年度").removesuffix("年度").removesuffix("年")
    try:
        year = int(text)
    except ValueError:
        raise CellError(f"预算年度“{text}”无效，应为四位年份，如 2026。") from None
    if year not in years:
        raise CellError(f"未知的预算年度：{year}（系统中尚未设置该年度）。")
    return years[year]


def _parse_amount(value) -> Decimal:
    """万元 in the sheet → yuan, exactly: Decimal(str(cell)), never float arithmetic."""
    if isinstance(value, bool):
        raise CellError("预算金额须为数字（万元）。")
    text = _required_text(value, "预算金额") if not isinstance(value, int | float | Decimal) else str(value)
    text = text.replace(",", "").replace("，", "")
    try:
        wan = Decimal(text)
    except InvalidOperation:
        raise CellError(f"预算金额“{text}”不是数字，请填写以万元为单位的数字。") from None
    if not wan.is_finite():
        raise CellError(f"预算金额“{text}”不是数字，请填写以万元为单位的数字。")
    if wan <= 0:
        raise CellError("预算金额须大于 0。")
    try:
        yuan = wan * WAN
        cents = yuan.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CellError("预算金额超出允许范围。") from None
    if cents != yuan:
        raise CellError("预算金额最多精确到分（万元后六位小数）。")
    return cents


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def parse_date(value, header: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        try:
            return from_excel(value).date()  # an Excel serial date in an unformatted cell
        except (ValueError, OverflowError, TypeError):
            pass
    text = _required_text(value, header)
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(f"{header}“{text}”不是有效日期，请按 2026-01-01 的格式填写。")


def _parse_choice(value, header: str, choices) -> str:
    text = _required_text(value, header)
    by_text = {label: value for value, label in choices.choices} | {value: value for value in choices.values}
    if text not in by_text:
        raise CellError(f"{header}“{text}”无效，可选：{'、'.join(choices.labels)}。")
    return by_text[text]


def _parse_bool(value, header: str) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text == YES:
        return True
    if text == NO:
        return False
    if not text:
        raise CellError(f"{header}不能为空，请填写“是”或“否”。")
    raise CellError(f"{header}“{text}”无效，请填写“是”或“否”。")


def _read_sheet(file) -> tuple[list, list[tuple[int, tuple]]]:
    """Header and data rows (with their Excel row numbers) of the 项目库 sheet.

    Raises anything openpyxl raises on a broken file; the caller turns that into one message.
    """
    wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        ws = wb[DATA_SHEET] if DATA_SHEET in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(max_col=IMPORT_MAX_COLUMNS, values_only=True)
        header = list(next(rows, ()))
        data = []
        for number, values in enumerate(rows, start=2):
            if all(cell_text(v) == "" for v in values):
                continue
            data.append((number, values))
            if len(data) > IMPORT_MAX_ROWS:
                break
        return header, data
    finally:
        wb.close()


def check_xlsx_file(file) -> str | None:
    """Refuse what must not reach openpyxl: other types, oversize files, zip bombs."""
    name = getattr(file, "name", "") or ""
    if os.path.splitext(name)[1].lower() != ".xlsx":
        return "只能导入 Excel 2007 及以上版本的 .xlsx 文件，请使用下载的模板填写。"
    try:
        check_size(file)
        check_ooxml_zip(file, "xl/")
    except ValidationError as error:
        return "；".join(error.messages)
    return None


def _service_errors(row: int, error: Exception) -> list[RowError]:
    if isinstance(error, WorkflowError):
        return [RowError(row, "", error.message)]
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return [
            RowError(row, HEADER_OF_FIELD.get(name, ""), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    if isinstance(error, ValidationError):
        return [RowError(row, "", message) for message in error.messages]
    return [RowError(row, "", "与已有数据冲突，请检查项目编码。")]


def _existing_codes(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """(year, code) pairs of the file already in the library (codes are unique per year city-wide)."""
    found = set()
    codes = sorted({code for _, code in pairs})
    years = {year for year, _ in pairs}
    for start in range(0, len(codes), 500):
        found.update(
            Project.objects.filter(fiscal_year__year__in=years, code__in=codes[start : start + 500]).values_list(
                "fiscal_year__year", "code"
            )
        )
    return found & pairs


def _parse_rows(user, header: list, rows: list) -> tuple[list[tuple[int, dict]], list[RowError]]:
    positions = {}
    for index, value in enumerate(header):
        positions.setdefault(normalise_header(value), index)
    missing = [c for c in COLUMNS if c.required and c.header not in positions]
    if missing:
        return [], [RowError(1, c.header, f"缺少列“{c.header}”，请使用下载的模板。") for c in missing]

    years = {fy.year: fy for fy in FiscalYear.objects.all()}
    units = {unit.code: unit for unit in services.units_for(user).select_related("parent")}
    parsers = {
        "fiscal_year": lambda v: _parse_year(v, years),
        "code": lambda v: _required_text(v, "项目编码"),
        "name": lambda v: _required_text(v, "项目名称"),
        "unit": lambda v: _lookup_unit(v, units),
        "responsible_person": lambda v: _required_text(v, "项目责任人"),
        "budget_amount": _parse_amount,
        "period_start": lambda v: parse_date(v, "实施期起"),
        "period_end": lambda v: parse_date(v, "实施期止"),
        "budget_type": lambda v: _parse_choice(v, "预算类型", BudgetType),
        "kind": lambda v: _parse_choice(v, "项目类别", ProjectKind),
        "is_new": lambda v: _parse_bool(v, "是否新增"),
        "is_major": lambda v: _parse_bool(v, "是否重大"),
    }
    parsed, errors, first_seen = [], [], {}
    for number, values in rows:
        data, row_errors = {}, []
        for column in COLUMNS:
            position = positions.get(column.header)
            raw = values[position] if position is not None and position < len(values) else None
            try:
                data[column.field] = parsers.get(column.field, cell_text)(raw)
            except CellError as error:
                row_errors.append(RowError(number, column.header, str(error)))
        if "fiscal_year" in data and "code" in data:
            key = (data["fiscal_year"].year, data["code"])
            if key in first_seen:
                row_errors.append(RowError(number, "项目编码", f"项目编码“{key[1]}”与第 {first_seen[key]} 行重复。"))
            else:
                first_seen[key] = number
        errors.extend(row_errors)
        if not row_errors:
            parsed.append((number, data))
    taken = _existing_codes({(d["fiscal_year"].year, d["code"]) for _, d in parsed})
    clean = []
    for number, data in parsed:
        if (data["fiscal_year"].year, data["code"]) in taken:
            message = f"项目编码“{data['code']}”在 {data['fiscal_year'].year} 年度项目库中已存在。"
            errors.append(RowError(number, "项目编码", message))
        else:
            clean.append((number, data))
    return clean, errors


def _lookup_unit(value, units: dict):
    code = _required_text(value, "实施单位编码")
    # Units outside the user's scope get the same answer as codes that do not exist (no leak).
    if code not in units:
        raise CellError(f"未知的单位编码“{code}”。")
    return units[code]


def import_projects(user, file) -> ImportResult:
    """Import a filled template. All or nothing: on any error nothing is written and every
    row's errors come back; otherwise every row is created through ``create_project``.

    Raises TransitionForbidden when the user may not create projects at all.
    """
    allowed, reason = permissions.can_create_project(user)
    if not allowed:
        deny(TransitionForbidden, reason, user, None, "导入项目")
    name = os.path.basename(getattr(file, "name", "") or "")
    problem = check_xlsx_file(file)
    if problem is None:
        try:
            file.seek(0)
            header, rows = _read_sheet(file)
        except Exception:  # noqa: BLE001 — any parser failure on untrusted input is "unreadable", never a 500
            logger.info("unreadable import file %r", name, exc_info=True)
            problem = "无法读取该文件，文件可能已损坏或不是有效的 Excel 文件，请使用下载的模板填写。"
    if problem is None and len(rows) > IMPORT_MAX_ROWS:
        problem = f"一次最多导入 {IMPORT_MAX_ROWS} 行，请拆分文件后分批导入。"
    if problem is None and not rows:
        problem = "文件中没有可导入的数据行。" if any(header) else "文件是空的，请使用下载的模板填写。"
    if problem is not None:
        result = ImportResult(errors=[RowError(None, "", problem)])
        _record_import(user, name, result)
        return result

    clean, errors = _parse_rows(user, header, rows)
    result = ImportResult(errors=errors)
    if errors and not clean:
        _record_import(user, name, result)
        return result
    with transaction.atomic():
        for number, data in clean:
            try:
                services.create_project(user, data)  # its own savepoint: a failing row leaves no trace
            except (ValidationError, WorkflowError, IntegrityError) as error:
                result.errors.extend(_service_errors(number, error))
        if result.errors:
            transaction.set_rollback(True)
        else:
            result.created = len(clean)
            _record_import(user, name, result)
    if result.errors:
        result.errors.sort(key=lambda e: (e.row or 0, _column_order(e.column)))
        _record_import(user, name, result)
    return result


def _column_order(header: str) -> int:
    for index, column in enumerate(COLUMNS):
        if column.header == header:
            return index
    return -1


def _record_import(user, name: str, result: ImportResult):
    record_event(
        AuditEventKind.IMPORT,
        user=user,
        success=result.ok,
        object_type="projects.project",
        after={"file": name, "created": result.created, "errors": len(result.errors)},
        message=(f"导入项目 {result.created} 个" if result.ok else f"导入失败：{len(result.errors)} 处错误")
        + f"（{name}）",
    )


# ---------------------------------------------------------------- export


def _preassessment_label(project: Project) -> str:
    pa = getattr(project, "preassessment", None)
    if pa is not None:
        label = pa.get_status_display()
        return f"{label}（{pa.get_conclusion_display()}）" if pa.conclusion else label
    return "未开展" if project.needs_preassessment else "无需评估"


def header_row(ws, headers):
    """The bold, frozen first row of a write-only export sheet; ``headers`` = [(title, width)]."""
    for index, (_, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    cells = []
    for title, _ in headers:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        cells.append(cell)
    ws.append(cells)


def safe_cell(ws, value, number_format: str | None = None):
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"  # user text starting with "=" stays text, never a formula
    if number_format:
        cell.number_format = number_format
    return cell


def _export_row(ws, p: Project) -> list:
    yes_no = {True: YES, False: NO}
    return [
        p.fiscal_year.year,
        safe_cell(ws, p.code),
        safe_cell(ws, p.name),
        safe_cell(ws, p.unit.code),
        safe_cell(ws, p.responsible_person),
        safe_cell(ws, p.responsible_phone),
        safe_cell(ws, p.budget_amount / WAN, "0.00####"),
        safe_cell(ws, p.funding_source),
        safe_cell(ws, p.period_start, "yyyy-mm-dd"),
        safe_cell(ws, p.period_end, "yyyy-mm-dd"),
        p.get_budget_type_display(),
        p.get_kind_display(),
        yes_no[p.is_new],
        yes_no[p.is_major],
        safe_cell(ws, p.description),
        safe_cell(ws, p.department.name),
        p.get_status_display(),
        _preassessment_label(p),
        yes_no[p.is_key],
    ]


def export_projects(queryset, *, user, filters: dict | None = None) -> bytes:
    """The given projects as an .xlsx in the template's columns plus 主管部门, 状态, 事前评估状态,
    是否重点 — re-importable as a template. The caller passes a queryset that started from
    ``Project.objects.visible_to(user)``; one query whatever the number of rows."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    header_row(ws, [(c.header, c.width) for c in COLUMNS] + list(EXPORT_EXTRA_COLUMNS))
    count = 0
    for project in queryset.with_list_related().order_by("-fiscal_year__year", "code").iterator(chunk_size=2000):
        ws.append(_export_row(ws, project))
        count += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    record_event(
        AuditEventKind.EXPORT,
        user=user,
        object_type="projects.project",
        after={"filters": filters or {}, "count": count},
        message=f"导出项目库 {count} 个项目",
    )
    return buffer.getvalue()

