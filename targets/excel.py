"""Excel for target sheets and the indicator library (DESIGN §2.3, §5; issue 3 item 6).

- ``build_sheet_template``: the flat template 绩效指标 / 总体目标 / 填写说明 for one project or many
  (a whole department at once), prefilled with the rows already written.
- ``import_target_workbook``: reads the flat template OR the standard form 项目支出绩效目标申报表
  (targets/standard_form.py, a worksheet per project); every row goes through the editor's own
  ``services.build_rows`` and ``checks.check_sheet``; all or nothing, every error naming its
  worksheet, row and column; writes through ``services.create_sheet`` / ``services.save_sheet``.
- ``export_sheets``: any filtered list of sheets with their indicators, in the template's columns.
- ``export_library`` / ``import_library``: the indicator library 指标库 (import: the performance
  office only; all or nothing; codes unique).

The upload checks (xlsx only, size, zip structure), the cell readers and the formula-injection
guard are the project library's (projects/excel.py, projects/uploads.py).
"""

import io
import logging
import os
import re
from dataclasses import dataclass, field

import openpyxl
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.choices import Role
from projects.excel import XLSX_MIME, cell_text, check_xlsx_file, header_row, normalise_header, safe_cell
from projects.models import Project
from projects.uploads import deny
from workflow.audit import AuditEventKind, record_event
from workflow.errors import TransitionForbidden, WorkflowError

from . import library, services
from .checks import check_sheet
from .choices import (
    LEVEL2_PARENT,
    Comparator,
    IndicatorPeriod,
    IndustryField,
    Level1,
    Level2,
    SheetStatus,
    TemplateScope,
)
from .models import LOCKED_MESSAGE, Indicator, IndicatorTemplate, TargetSheet
from .standard_form import (
    CHOICE_LABELS,
    CellError,
    ParsedForm,
    RowError,
    SourceRow,
    choice_value,
    looks_like_form,
    number_text,
    read_form,
)

__all__ = [
    "XLSX_MIME",
    "ImportResult",
    "LibraryImportResult",
    "RowError",
    "build_sheet_template",
    "export_library",
    "export_sheets",
    "import_library",
    "import_target_workbook",
]

logger = logging.getLogger(__name__)

FLAT_SHEET = "绩效指标"
GOALS_SHEET = "总体目标"
HELP_SHEET = "填写说明"
LIBRARY_SHEET = "指标库"
IMPORT_MAX_ROWS = 20000  # indicator rows; a city department's year is far below this
READ_MAX_ROWS = 60000  # all non-empty rows of all worksheets (standard forms have ~40 per project)
READ_MAX_COLUMNS = 40
BATCH = 500  # ids per IN (...) lookup
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INFO_FILL = PatternFill("solid", fgColor="EDEDED")
UNREADABLE = "无法读取该文件，文件可能已损坏或不是有效的 Excel 文件，请使用下载的模板填写。"
UNKNOWN_FORMAT = (
    "未识别的文件格式：请使用下载的模板（工作表“绩效指标”“总体目标”）或《项目支出绩效目标申报表》"
    "（每个项目一个工作表）填写。"
)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: int
    required: bool = False
    info: bool = False  # shown for reference, not read back


FLAT_COLUMNS = (
    Column("项目编码", "code", 18, required=True),
    Column("项目名称", "project_name", 30, info=True),
    Column("预算年度", "year", 10),
    Column("指标期间", "period", 10),
    Column("一级指标", "level1", 12, required=True),
    Column("二级指标", "level2", 16, required=True),
    Column("三级指标", "name", 30, required=True),
    Column("比较方式", "comparator", 10, required=True),
    Column("指标值", "value", 14, required=True),
    Column("计量单位", "unit", 10),
    Column("权重", "weight", 8, required=True),
    Column("上年实际值", "last_year_actual", 12),
    Column("备注", "note", 24),
)
GOAL_COLUMNS = (
    Column("项目编码", "code", 18, required=True),
    Column("项目名称", "project_name", 30, info=True),
    Column("预算年度", "year", 10),
    Column("年度总体目标", "overall_goal", 60),
    Column("实施期总目标", "whole_period_goal", 60),
)
EXPORT_EXTRA = (("版本", 8), ("状态", 16), ("主管部门", 24), ("实施单位", 24))
HEADER_OF = {c.key: c.header for c in FLAT_COLUMNS}
# The columns whose content is the row's indicator (a row with only code/name is a placeholder).
INDICATOR_KEYS = tuple(c.key for c in FLAT_COLUMNS if c.key not in ("code", "project_name", "year"))


def template_filename(label: str) -> str:
    return f"绩效目标导入模板_{label}.xlsx"


# ================================================================ results


@dataclass
class ImportResult:
    sheets_updated: int = 0
    sheets_created: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # flags shown, not blocking (目标偏低, 事前评估)
    format: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


# ================================================================ reading a workbook


class _FileProblem(Exception):
    pass


def _read_workbook(file) -> list[tuple[str, list[tuple[int, tuple]]]]:
    """(worksheet title, [(Excel row number, values)]) of every worksheet, blank rows skipped.
    Raises anything openpyxl raises on a broken file, _FileProblem when it is too large."""
    wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        sheets, total = [], 0
        for ws in wb.worksheets:
            rows = []
            for number, values in enumerate(ws.iter_rows(max_col=READ_MAX_COLUMNS, values_only=True), start=1):
                if all(cell_text(v) == "" for v in values):
                    continue
                rows.append((number, values))
                total += 1
                if total > READ_MAX_ROWS:
                    raise _FileProblem(f"文件行数过多，一次最多导入 {IMPORT_MAX_ROWS} 行指标，请拆分后分批导入。")
            sheets.append((ws.title, rows))
        return sheets
    finally:
        wb.close()


def _open(file) -> tuple[list, str | None]:
    """The worksheets of an uploaded file, or the one message that says why it cannot be read."""
    problem = check_xlsx_file(file)
    if problem is not None:
        return [], problem
    try:
        file.seek(0)
        return _read_workbook(file), None
    except _FileProblem as error:
        return [], str(error)
    except Exception:  # noqa: BLE001 — any parser failure on untrusted input is "unreadable", never a 500
        logger.info("unreadable import file %r", getattr(file, "name", ""), exc_info=True)
        return [], UNREADABLE


def _header_positions(values: tuple) -> dict[str, int]:
    positions = {}
    for index, value in enumerate(values):
        positions.setdefault(normalise_header(value), index)
    return positions


def _header_has(rows, *headers) -> bool:
    return bool(rows) and all(h in _header_positions(rows[0][1]) for h in headers)


def _value(values: tuple, positions: dict, header: str):
    index = positions.get(header)
    return values[index] if index is not None and index < len(values) else None


def _year(raw, sheet_name: str, number: int, errors: list) -> int | None:
    text = cell_text(raw).removesuffix("年度").removesuffix("年")
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text):
        errors.append(RowError(sheet_name, number, "预算年度", f"预算年度“{text}”无效，应为四位年份，如 2026。"))
        return None
    return int(text)


# ---------------------------------------------------------------- what the file asks, per project


@dataclass
class _Request:
    """What the file says about one project: its rows (None: keep them) and goals (None: keep)."""

    code: str
    year: int | None
    name: str  # standard forms without a code are matched by name
    sheet_name: str
    row: int  # where to point errors about the project as a whole
    rows: list[SourceRow] | None = None
    overall_goal: str | None = None
    whole_period_goal: str | None = None


def _missing_columns(sheet_name: str, rows, columns) -> list[RowError]:
    positions = _header_positions(rows[0][1]) if rows else {}
    return [
        RowError(sheet_name, 1, c.header, f"缺少列“{c.header}”，请使用下载的模板。")
        for c in columns
        if c.required and c.header not in positions
    ]


def _parse_flat_row(sheet_name, number, values, positions) -> tuple[dict, list[RowError]]:
    data, errors = {}, []

    def take(kind, header, default=None):
        raw = _value(values, positions, header)
        if default is not None and cell_text(raw) == "":
            return default
        try:
            return choice_value(kind, raw, header)
        except CellError as error:
            errors.append(RowError(sheet_name, number, header, str(error)))
            return ""

    data["period"] = take("period", "指标期间", default=IndicatorPeriod.YEAR) or IndicatorPeriod.YEAR
    data["level1"] = take("level1", "一级指标")
    data["level2"] = take("level2", "二级指标")
    data["name"] = cell_text(_value(values, positions, "三级指标"))
    data["comparator"] = take("comparator", "比较方式")
    raw_value = _value(values, positions, "指标值")
    if data["comparator"] == Comparator.QUALITATIVE:
        data["target_value"], data["target_text"] = "", cell_text(raw_value)
    else:
        data["target_value"], data["target_text"] = number_text(raw_value), ""
    data["unit"] = cell_text(_value(values, positions, "计量单位"))
    data["weight"] = number_text(_value(values, positions, "权重"))
    if "上年实际值" in positions:
        data["last_year_actual"] = number_text(_value(values, positions, "上年实际值"))
    data["note"] = cell_text(_value(values, positions, "备注"))
    for key, header, limit in (("name", "三级指标", 200), ("unit", "计量单位", 20), ("note", "备注", 200)):
        if len(data[key]) > limit:
            errors.append(RowError(sheet_name, number, header, f"{header}不能超过 {limit} 个字。"))
    if data["comparator"] == Comparator.QUALITATIVE and len(data["target_text"]) > 200:
        errors.append(RowError(sheet_name, number, "指标值", "指标值不能超过 200 个字。"))
    return data, errors


def _read_flat(sheets: dict) -> tuple[list[_Request], list[RowError], int]:
    """The flat template: rows of 绩效指标 grouped by (项目编码, 预算年度), goals from 总体目标."""
    errors: list[RowError] = []
    requests: dict[tuple, _Request] = {}
    count = 0
    name, rows = sheets["flat"]
    errors += _missing_columns(name, rows, FLAT_COLUMNS)
    if errors:
        return [], errors, 0
    positions = _header_positions(rows[0][1])
    for number, values in rows[1:]:
        if all(cell_text(_value(values, positions, h)) == "" for h in (HEADER_OF[k] for k in INDICATOR_KEYS)):
            continue  # a placeholder row: only the project's code and name
        count += 1
        code = cell_text(_value(values, positions, "项目编码"))
        year = _year(_value(values, positions, "预算年度"), name, number, errors)
        data, row_errors = _parse_flat_row(name, number, values, positions)
        errors += row_errors
        if not code:
            errors.append(RowError(name, number, "项目编码", "项目编码不能为空。"))
            continue
        request = requests.setdefault((code, year), _Request(code, year, "", name, number, rows=[]))
        request.rows.append(SourceRow(name, number, data))
    if "goals" in sheets:
        goals_name, goal_rows = sheets["goals"]
        missing = _missing_columns(goals_name, goal_rows, GOAL_COLUMNS) if goal_rows else []
        errors += missing
        positions = _header_positions(goal_rows[0][1]) if goal_rows else {}
        for number, values in [] if missing else goal_rows[1:]:
            code = cell_text(_value(values, positions, "项目编码"))
            if not code:
                errors.append(RowError(goals_name, number, "项目编码", "项目编码不能为空。"))
                continue
            year = _year(_value(values, positions, "预算年度"), goals_name, number, errors)
            request = requests.setdefault((code, year), _Request(code, year, "", goals_name, number))
            for key, header in (("overall_goal", "年度总体目标"), ("whole_period_goal", "实施期总目标")):
                if header in positions:
                    setattr(request, key, cell_text(_value(values, positions, header)))
    return list(requests.values()), errors, count


def _read_forms(forms: list[ParsedForm]) -> tuple[list[_Request], list[RowError], int]:
    errors, requests, count = [], [], 0
    for form in forms:
        errors += form.errors
        count += len(form.rows)
        if not form.project_code and not form.project_name:
            errors.append(RowError(form.sheet_name, form.first_row, "项目编码", "申报表中未填写项目编码或项目名称。"))
            continue
        requests.append(
            _Request(
                form.project_code,
                form.year,
                form.project_name,
                form.sheet_name,
                form.first_row,
                rows=form.rows,
                overall_goal=form.overall_goal,
                whole_period_goal=form.whole_period_goal,
            )
        )
    return requests, errors, count


def _classify(workbook) -> tuple[str, dict | list[ParsedForm]]:
    """Which layout the file is: the flat template, or standard forms (a worksheet each)."""
    sheets = {}
    for title, rows in workbook:
        if title == FLAT_SHEET or _header_has(rows, "项目编码", "一级指标"):
            sheets.setdefault("flat", (title, rows))
        elif title == GOALS_SHEET or _header_has(rows, "项目编码", "年度总体目标"):
            sheets.setdefault("goals", (title, rows))
    if "flat" in sheets:
        return "flat", sheets
    forms = [read_form(title, rows) for title, rows in workbook if looks_like_form(rows)]
    if forms:
        return "standard", forms
    return "", {}


# ---------------------------------------------------------------- projects and their sheets, in bulk


def _chunks(values: list, size: int = BATCH):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _projects_for(user, requests: list[_Request]) -> list[Project]:
    """Every project in the user's scope that a request may mean, in a few queries."""
    codes = sorted({r.code for r in requests if r.code})
    names = sorted({r.name for r in requests if not r.code})
    found = []
    base = Project.objects.visible_to(user).with_list_related()
    for chunk in _chunks(codes):
        found += base.filter(code__in=chunk)
    for chunk in _chunks(names):
        found += base.filter(name__in=chunk)
    return found


def _match(request: _Request, projects: list[Project]) -> tuple[Project | None, str]:
    if request.code:
        candidates = [p for p in projects if p.code == request.code]
    else:
        candidates = [p for p in projects if p.name == request.name]
    if request.year is not None:
        candidates = [p for p in candidates if p.fiscal_year.year == request.year]
    if not candidates:
        if request.code:
            return None, f"未知的项目编码“{request.code}”。"
        return None, f"未找到名称为“{request.name}”的项目，请在申报表中填写项目编码。"
    newest = max(p.fiscal_year.year for p in candidates)
    candidates = [p for p in candidates if p.fiscal_year.year == newest]
    if len(candidates) > 1:
        return None, f"项目名称“{request.name}”对应多个项目，请在申报表中填写项目编码。"
    return candidates[0], ""


def latest_sheets(project_ids) -> dict[int, TargetSheet]:
    """The newest version of each project's sheet (the one an import writes), with its rows."""
    newest: dict[int, tuple[int, int]] = {}
    ids = list(project_ids)
    for chunk in _chunks(ids):
        for project_id, pk, version in TargetSheet.objects.filter(project_id__in=chunk).values_list(
            "project_id", "pk", "version"
        ):
            if project_id not in newest or version > newest[project_id][1]:
                newest[project_id] = (pk, version)
    sheets = {}
    for chunk in _chunks([pk for pk, _ in newest.values()]):
        for sheet in TargetSheet.objects.filter(pk__in=chunk).prefetch_related("indicators"):
            sheets[sheet.project_id] = sheet
    return sheets


# ---------------------------------------------------------------- validation with the editor's checks

_ROW_PREFIX = re.compile(r"^第\d+行(「[^」]*」)?：")
# Which column a check's message is about (checks.py words its messages with these).
_MESSAGE_COLUMNS = (
    ("三级指标名称", "三级指标"),
    ("二级指标", "二级指标"),
    ("一级指标", "一级指标"),
    ("比较方式", "比较方式"),
    ("计量单位", "计量单位"),
    ("权重", "权重"),
    ("上年实际值", "上年实际值"),
    ("指标值", "指标值"),
    ("目标偏低", "上年实际值"),
)


def _column_of(message: str) -> str:
    for word, column in _MESSAGE_COLUMNS:
        if word in message:
            return column
    return ""


@dataclass
class _Plan:
    """One project's validated change, ready to write."""

    project: Project
    sheet: TargetSheet | None  # None: create version 1 first
    request: _Request
    rows: list[dict] | None


def _carry_over(data: dict, existing: dict) -> dict:
    """Keep what the file cannot say about a row the sheet already has (same period and name):
    the library template it came from, and 上年实际值 when the file has no such column."""
    old = existing.get((data.get("period"), data.get("name")))
    if old is None:
        return data
    data = dict(data)
    if old.template_id:
        data.setdefault("template", old.template_id)
    if "last_year_actual" not in data and old.last_year_actual is not None:
        data["last_year_actual"] = str(old.last_year_actual)
    return data


def _validate(
    user, request: _Request, project: Project, sheet: TargetSheet | None, result: ImportResult
) -> _Plan | None:
    """The editor's checks on the file's version of the sheet; errors name the workbook rows."""
    where = (request.sheet_name, request.row)
    if sheet is not None:
        allowed, reason = services.can_edit_sheet(user, sheet)  # a locked sheet answers LOCKED_MESSAGE
        if not allowed:
            result.errors.append(RowError(*where, "项目编码", f"项目“{project.code}”：{reason}"))
            return None
    draft = sheet if sheet is not None else TargetSheet(project=project)
    draft.project = project  # the instance loaded with what the checks read
    if request.overall_goal is not None:
        draft.overall_goal = request.overall_goal
    if request.whole_period_goal is not None:
        draft.whole_period_goal = request.whole_period_goal
    existing = {(r.period, r.name): r for r in sheet.indicators.all()} if sheet is not None else {}
    rows = None
    if request.rows is not None:
        rows = [_carry_over(source.data, existing) for source in request.rows]
        # Templates matter when saving, not for the checks; leaving them out spares a query.
        checked_rows = [{k: v for k, v in r.items() if k != "template"} for r in rows]
        indicators, unreadable = services.build_rows(draft, checked_rows)
        sources = request.rows
    else:
        indicators, unreadable, sources = (list(sheet.indicators.all()) if sheet else []), [], []
    reported = {(e.sheet_name, e.row, e.column) for e in result.errors}
    bad_rows = {(e.sheet_name, e.row) for e in result.errors}
    inherited = {(s.sheet_name, s.row) for s in request.rows or () if s.inherits_error}
    bad_rows |= inherited
    for problem in unreadable:  # numbers build_rows could not read (choices were checked already)
        source = sources[problem.row - 1]
        error = RowError(
            source.sheet_name, source.row, _column_of(problem.message), _ROW_PREFIX.sub("", problem.message)
        )
        if (error.sheet_name, error.row) in inherited and error.column in ("一级指标", "二级指标"):
            continue  # the merged cell above is wrong, and is listed at its own row
        if (error.sheet_name, error.row, error.column) not in reported:
            result.errors.append(error)
            bad_rows.add((source.sheet_name, source.row))
    year_sources = [s for s in sources if s.data.get("period") == IndicatorPeriod.YEAR]
    gate_ok, gate_reason = project.preassessment_gate()
    own_rows_bad = any((s.sheet_name, s.row) in bad_rows for s in sources)
    for problem in check_sheet(draft, rows=indicators):
        message = _ROW_PREFIX.sub("", problem.message)
        if not gate_ok and problem.message == gate_reason:
            # Not the file's to fix: the draft is saved, submitting waits for the pre-assessment.
            result.warnings.append(f"项目“{project.code}”：{problem.message}")
            continue
        if problem.row is not None and problem.row <= len(year_sources):
            source = year_sources[problem.row - 1]
            location = (source.sheet_name, source.row)
            if location in bad_rows:
                continue  # the row's cell errors are already listed
            column = _column_of(message)
        else:
            if own_rows_bad:
                continue  # totals of a table with unreadable rows would only mislead
            location, column = where, ""
            message = f"项目“{project.code}”：{message}"
        if not problem.blocking:
            result.warnings.append(f"{location[0]} 第{location[1]}行：{message}")
            continue
        result.errors.append(RowError(*location, column, message))
    return _Plan(project, sheet, request, rows)


def _plan(user, requests: list[_Request], result: ImportResult) -> list[_Plan]:
    projects = _projects_for(user, requests)
    matched: dict[int, tuple[Project, _Request]] = {}
    for request in requests:
        project, problem = _match(request, projects)
        if project is None:
            result.errors.append(RowError(request.sheet_name, request.row, "项目编码", problem))
            continue
        allowed, reason = services.can_write_targets(user, project)
        if not allowed:
            result.errors.append(RowError(request.sheet_name, request.row, "项目编码", reason))
            continue
        if project.pk in matched:
            first = matched[project.pk][1]
            if request.rows is not None and first.rows is not None and request.sheet_name != first.sheet_name:
                result.errors.append(
                    RowError(
                        request.sheet_name,
                        request.row,
                        "项目编码",
                        f"项目“{project.code}”在工作表“{first.sheet_name}”中已出现，每个项目只能有一份申报表。",
                    )
                )
                continue
            _merge(first, request)
            continue
        matched[project.pk] = (project, request)
    sheets = latest_sheets(list(matched))
    plans = []
    for project, request in matched.values():
        if request.rows is None and not _changes_goals(request, sheets.get(project.pk)):
            continue  # a 总体目标 row left as downloaded
        plan = _validate(user, request, project, sheets.get(project.pk), result)
        if plan is not None:
            plans.append(plan)
    return plans


def _changes_goals(request: _Request, sheet: TargetSheet | None) -> bool:
    for key in ("overall_goal", "whole_period_goal"):
        value = getattr(request, key)
        if value is not None and value.strip() != (getattr(sheet, key) if sheet else "").strip():
            return True
    return False


def _merge(into: _Request, other: _Request):
    """Rows of one project written with and without its 预算年度, or its goals from 总体目标."""
    if other.rows is not None:
        into.rows = (into.rows or []) + other.rows
    if other.overall_goal is not None:
        into.overall_goal = other.overall_goal
    if other.whole_period_goal is not None:
        into.whole_period_goal = other.whole_period_goal


def _write(user, plans: list[_Plan], result: ImportResult):
    """All the plans in one transaction, through the services; any failure rolls all back."""
    with transaction.atomic():
        for plan in plans:
            try:
                sheet = plan.sheet
                if sheet is None:
                    sheet = services.create_sheet(plan.project, user)
                    result.sheets_created += 1
                services.save_sheet(
                    sheet,
                    user,
                    overall_goal=plan.request.overall_goal,
                    whole_period_goal=plan.request.whole_period_goal,
                    rows=plan.rows,
                )
            except (ValidationError, WorkflowError, IntegrityError) as error:
                if isinstance(error, WorkflowError):
                    messages = [error.message]
                elif isinstance(error, ValidationError):
                    messages = error.messages
                else:
                    messages = ["与已有数据冲突，请刷新后重试。"]
                result.errors += [
                    RowError(plan.request.sheet_name, plan.request.row, "项目编码", f"项目“{plan.project.code}”：{m}")
                    for m in messages
                ]
                continue
            result.sheets_updated += 1
            result.rows += len(plan.rows) if plan.rows is not None else 0
        if result.errors:
            transaction.set_rollback(True)
            result.sheets_updated = result.sheets_created = result.rows = 0


def import_target_workbook(user, file) -> ImportResult:
    """Import a filled flat template or standard form. All or nothing: on any error nothing is
    written and every error comes back with its worksheet, row and column.

    Raises TransitionForbidden when the user may not write targets at all (only unit staff do).
    """
    if not user.has_role(Role.UNIT_STAFF):
        deny(TransitionForbidden, "绩效目标由项目单位填报，您不能导入绩效目标。", user, None, "导入绩效目标")
    name = os.path.basename(getattr(file, "name", "") or "")
    result = ImportResult()
    workbook, problem = _open(file)
    if problem is None:
        result.format, parsed = _classify(workbook)
        if not result.format:
            problem = UNKNOWN_FORMAT
    if problem is None:
        requests, errors, count = _read_flat(parsed) if result.format == "flat" else _read_forms(parsed)
        result.errors += errors
        if count > IMPORT_MAX_ROWS:
            problem = f"一次最多导入 {IMPORT_MAX_ROWS} 行指标，请拆分文件后分批导入。"
        elif not requests and not errors:
            problem = "文件中没有可导入的指标行。"
    if problem is not None:
        result.errors = [RowError("", None, "", problem)]
        _record_import(user, name, result)
        return result
    plans = _plan(user, requests, result)
    if not result.errors:
        _write(user, plans, result)
    order = {title: index for index, (title, _) in enumerate(workbook)}
    result.errors.sort(key=lambda e: (order.get(e.sheet_name, -1), e.row or 0))
    _record_import(user, name, result)
    return result


def _record_import(user, name: str, result: ImportResult):
    record_event(
        AuditEventKind.IMPORT,
        user=user,
        success=result.ok,
        object_type="targets.targetsheet",
        after={
            "file": name,
            "format": result.format,
            "sheets_updated": result.sheets_updated,
            "sheets_created": result.sheets_created,
            "rows": result.rows,
            "errors": len(result.errors),
        },
        message=(
            f"导入绩效目标 {result.sheets_updated} 张表、{result.rows} 行指标"
            if result.ok
            else f"导入绩效目标失败：{len(result.errors)} 处错误"
        )
        + f"（{name}）",
    )


# ================================================================ the flat template


def _style_header(ws, columns):
    bold = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000") if column.required else bold
        cell.fill = INFO_FILL if column.info else HEADER_FILL
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"


# An indicator's fields in the order of the flat columns after 项目编码/项目名称/预算年度.
ROW_VALUES = tuple(name for name in services.ROW_FIELDS if name != "template")
_LABELS = {
    "period": {IndicatorPeriod.YEAR: "年度", IndicatorPeriod.WHOLE: "实施期"},
    "level1": dict(Level1.choices),
    "level2": dict(Level2.choices),
    "comparator": dict(Comparator.choices),
}


def _indicator_values(ws, values) -> list:
    """The flat columns of one indicator, from its ROW_VALUES (a tuple: exports read rows with
    ``values_list``, which is several times cheaper than model instances)."""
    period, level1, level2, name, comparator, target_value, target_text, unit, weight, actual, note = values
    quantitative = comparator != Comparator.QUALITATIVE
    return [
        _LABELS["period"].get(period, period),
        _LABELS["level1"].get(level1, level1),
        _LABELS["level2"].get(level2, level2),
        safe_cell(ws, name),
        _LABELS["comparator"].get(comparator, comparator),
        target_value if quantitative else safe_cell(ws, target_text),
        safe_cell(ws, unit),
        weight,
        actual,
        safe_cell(ws, note),
    ]


def _project_cells(ws, project) -> list:
    # New cells for every row: a cell object appended twice would move to the later row.
    return [safe_cell(ws, project.code), safe_cell(ws, project.name), project.fiscal_year.year]


def _help_lists() -> dict[str, list]:
    return {
        "指标期间": list(CHOICE_LABELS["period"]),
        "一级指标": list(Level1.labels),
        "二级指标": list(Level2.labels),
        "比较方式": list(Comparator.labels),
        "二级指标所属一级指标": [Level1(LEVEL2_PARENT[v]).label for v in Level2.values],
    }


INSTRUCTIONS = (
    "1. 在“绩效指标”工作表每行填写一个三级指标；第一行为表头，请勿修改表头。灰色列（项目名称）仅供核对，导入时不读取。",
    "2. 项目编码须为本单位可填报的项目；同一项目的全部指标在导入时整体替换该项目现有的指标。",
    "3. 指标期间填“年度”或“实施期”（实施期超过一年的项目填写实施期指标），留空按年度处理。",
    "4. 一级指标、二级指标、比较方式请从下拉列表选择；二级指标须属于所选一级指标（见本表）。",
    "5. 定量指标（≥ ≤ =）的指标值须为数字并填写计量单位；定性指标的指标值填文字，如“达到”“显著提升”。",
    "6. 年度指标权重合计为 90，默认产出 50、效益 30、满意度 10（以当年规则为准）；面向公众服务的项目须设满意度指标。",
    "7. “总体目标”工作表填写年度总体目标和实施期总目标（实施期超过一年的项目必填）。",
    "8. 任何一行有误时整份文件都不会导入，系统会逐行列出错误；已批复的绩效目标表已锁定，须通过调整申请变更。",
    "9. 也可以上传《项目支出绩效目标申报表》格式的文件（每个项目一个工作表，须填写项目编码或项目名称）。",
)


def build_sheet_template(user, projects) -> tuple[bytes, list[tuple[Project, str]]]:
    """The flat template for ``projects`` (a queryset from ``Project.objects.visible_to(user)``),
    prefilled with each project's current rows and goals. Projects whose sheet is approved or
    in review cannot be changed by an import: they are left out and returned with the reason."""
    projects = list(projects.select_related("fiscal_year").order_by("-fiscal_year__year", "code"))
    sheets = latest_sheets([p.pk for p in projects])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = FLAT_SHEET
    ws.append([c.header for c in FLAT_COLUMNS])
    _style_header(ws, FLAT_COLUMNS)
    goals = wb.create_sheet(GOALS_SHEET)
    goals.append([c.header for c in GOAL_COLUMNS])
    _style_header(goals, GOAL_COLUMNS)
    skipped = []
    for project in projects:
        sheet = sheets.get(project.pk)
        if sheet is not None and not sheet.is_editable:
            reason = LOCKED_MESSAGE if sheet.is_locked else f"当前状态为“{sheet.get_status_display()}”"
            skipped.append((project, reason))
            continue
        rows = list(sheet.indicators.all()) if sheet is not None else []
        for row in rows:
            values = tuple(getattr(row, name) for name in ROW_VALUES)
            ws.append([*_project_cells(ws, project), *_indicator_values(ws, values)])
        if not rows:
            ws.append(_project_cells(ws, project))  # a placeholder row shows where the project's rows go
        goals.append(
            [
                safe_cell(goals, project.code),
                safe_cell(goals, project.name),
                project.fiscal_year.year,
                safe_cell(goals, sheet.overall_goal if sheet else ""),
                safe_cell(goals, sheet.whole_period_goal if sheet else ""),
            ]
        )
    for column in (4, 5):
        for cells in goals.iter_rows(min_row=2, min_col=column, max_col=column):
            cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    _add_help(wb, ws, skipped)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), skipped


def _add_help(wb, ws, skipped):
    help_ws = wb.create_sheet(HELP_SHEET)
    lists = _help_lists()
    bold = Font(bold=True)
    for col, (title, values) in enumerate(lists.items(), start=1):
        help_ws.cell(row=1, column=col, value=title).font = bold
        help_ws.column_dimensions[get_column_letter(col)].width = 20
        for row, value in enumerate(values, start=2):
            help_ws.cell(row=row, column=col, value=value)
    note_col = len(lists) + 2
    help_ws.cell(row=1, column=note_col, value="填写说明").font = bold
    help_ws.column_dimensions[get_column_letter(note_col)].width = 100
    notes = list(INSTRUCTIONS)
    if skipped:
        notes.append("以下项目的绩效目标已批复或正在审核，未列入本模板：")
        notes += [f"    {p.code} {p.name}：{reason}" for p, reason in skipped]
    for row, text in enumerate(notes, start=2):
        help_ws.cell(row=row, column=note_col, value=text).alignment = Alignment(wrap_text=True)
    # Dropdowns point at the lists above (inline lists are capped at 255 characters).
    last_row = IMPORT_MAX_ROWS + 1
    headers = [c.header for c in FLAT_COLUMNS]
    for source, header in enumerate(("指标期间", "一级指标", "二级指标", "比较方式"), start=1):
        letter = get_column_letter(source)
        count = len(lists[header])
        validation = DataValidation(
            type="list",
            formula1=f"'{HELP_SHEET}'!${letter}$2:${letter}${count + 1}",
            allow_blank=header == "指标期间",
            showErrorMessage=True,
            errorTitle="取值无效",
            error=f"请从下拉列表中选择{header}。",
        )
        ws.add_data_validation(validation)
        target = get_column_letter(headers.index(header) + 1)
        validation.add(f"{target}2:{target}{last_row}")


# ================================================================ export of a filtered list


SHEET_ORDER = ("-project__fiscal_year__year", "project__code", "-version")


def export_sheets(queryset, *, user, filters: dict | None = None) -> bytes:
    """The sheets of ``queryset`` (from ``TargetSheet.objects.visible_to(user)``, filtered) and
    their indicators in the template's columns plus version, status, department and unit.

    Two queries whatever the number of rows (the indicators with their sheet and project, then
    the sheets' goals), both streamed; one audit event."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(FLAT_SHEET)
    header_row(ws, [(c.header, c.width) for c in FLAT_COLUMNS] + list(EXPORT_EXTRA))
    ids = queryset.order_by().values("pk")
    project_fields = ("sheet__project__code", "sheet__project__name", "sheet__project__fiscal_year__year")
    sheet_fields = ("sheet__version", "sheet__status", "sheet__project__department__name", "sheet__project__unit__name")
    indicators = (
        Indicator.objects.filter(sheet__in=ids)
        .order_by(
            "-sheet__project__fiscal_year__year",
            "sheet__project__code",
            "-sheet__version",
            "sheet_id",
            "period",
            "position",
            "id",
        )
        .values_list(*project_fields, *ROW_VALUES, *sheet_fields)
    )
    statuses = dict(SheetStatus.choices)
    count = 0
    for values in indicators.iterator(chunk_size=2000):
        code, name, year = values[:3]
        version, status, department, unit = values[-4:]
        ws.append(
            [
                safe_cell(ws, code),
                safe_cell(ws, name),
                year,
                *_indicator_values(ws, values[3:-4]),
                version,
                statuses.get(status, status),
                safe_cell(ws, department),
                safe_cell(ws, unit),
            ]
        )
        count += 1
    goals = wb.create_sheet(GOALS_SHEET)
    header_row(goals, [(c.header, c.width) for c in GOAL_COLUMNS] + list(EXPORT_EXTRA[:2]))
    sheets = 0
    for sheet in (
        TargetSheet.objects.filter(pk__in=ids)
        .select_related("project__fiscal_year")
        .order_by(*SHEET_ORDER)
        .iterator(chunk_size=2000)
    ):
        project = sheet.project
        goals.append(
            [
                safe_cell(goals, project.code),
                safe_cell(goals, project.name),
                project.fiscal_year.year,
                safe_cell(goals, sheet.overall_goal),
                safe_cell(goals, sheet.whole_period_goal),
                sheet.version,
                sheet.get_status_display(),
            ]
        )
        sheets += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    record_event(
        AuditEventKind.EXPORT,
        user=user,
        object_type="targets.targetsheet",
        after={"filters": filters or {}, "sheets": sheets, "rows": count},
        message=f"导出绩效目标 {sheets} 张表、{count} 行指标",
    )
    return buffer.getvalue()


def export_filename(today) -> str:
    return f"绩效目标导出_{today:%Y%m%d}.xlsx"


# ================================================================ the indicator library


LIBRARY_COLUMNS = (
    Column("指标编码", "code", 14, required=True),
    Column("三级指标名称", "name", 30, required=True),
    Column("一级指标", "level1", 12, required=True),
    Column("二级指标", "level2", 16, required=True),
    Column("类别", "scope", 16, required=True),
    Column("行业领域", "field", 12, required=True),
    Column("比较方式", "comparator", 10, required=True),
    Column("计量单位", "unit", 10),
    Column("参考值", "suggested_value", 12),
    Column("数据来源", "data_source", 24),
    Column("评分说明", "scoring_note", 40),
    Column("状态", "status", 10, info=True),  # decided on the library page, not by import
)
LIBRARY_HEADER_OF = {c.key: c.header for c in LIBRARY_COLUMNS}
_LIBRARY_CHOICES = {
    "level1": Level1,
    "level2": Level2,
    "scope": TemplateScope,
    "field": IndustryField,
    "comparator": Comparator,
}


def library_filename(today) -> str:
    return f"指标库_{today:%Y%m%d}.xlsx"


def export_library(queryset, *, user, filters: dict | None = None) -> bytes:
    """The templates of ``queryset`` (from ``IndicatorTemplate.objects.visible_to(user)``) in the
    columns the library import reads, plus 填写说明 with the allowed values; one query."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(LIBRARY_SHEET)
    header_row(ws, [(c.header, c.width) for c in LIBRARY_COLUMNS])
    count = 0
    for template in queryset.order_by("code").iterator(chunk_size=2000):
        ws.append(
            [safe_cell(ws, template.code), safe_cell(ws, template.name)]
            + [
                getattr(template, f"get_{key}_display")()
                for key in ("level1", "level2", "scope", "field", "comparator")
            ]
            + [
                safe_cell(ws, getattr(template, key))
                for key in ("unit", "suggested_value", "data_source", "scoring_note")
            ]
            + [template.get_status_display()]
        )
        count += 1
    help_ws = wb.create_sheet(HELP_SHEET)
    lists = [(LIBRARY_HEADER_OF[key], list(choices.labels)) for key, choices in _LIBRARY_CHOICES.items()]
    lists.append(("二级指标所属一级指标", [Level1(LEVEL2_PARENT[v]).label for v in Level2.values]))
    help_ws.append([title for title, _ in lists])
    for index in range(max(len(values) for _, values in lists)):
        help_ws.append([values[index] if index < len(values) else None for _, values in lists])
    buffer = io.BytesIO()
    wb.save(buffer)
    record_event(
        AuditEventKind.EXPORT,
        user=user,
        object_type="targets.indicatortemplate",
        after={"filters": filters or {}, "count": count},
        message=f"导出指标库 {count} 条",
    )
    return buffer.getvalue()


@dataclass
class LibraryImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _library_choice(key: str, raw, header: str) -> str:
    choices = _LIBRARY_CHOICES[key]
    text = cell_text(raw)
    if not text:
        raise CellError(f"请填写{header}。")
    spellings = {normalise_header(s): v for v, label in choices.choices for s in (v, label, label.removesuffix("指标"))}
    value = spellings.get(normalise_header(text))
    if value is None:
        raise CellError(f"{header}“{text}”无效，可选：{'、'.join(choices.labels)}。")
    return value


def _parse_library(sheet_name, rows) -> tuple[list[tuple[int, dict]], list[RowError]]:
    errors = _missing_columns(sheet_name, rows, LIBRARY_COLUMNS)
    if errors:
        return [], errors
    positions = _header_positions(rows[0][1])
    parsed, first_seen = [], {}
    for number, values in rows[1:]:
        data, row_errors = {}, []
        for column in LIBRARY_COLUMNS:
            if column.info:
                continue
            raw = _value(values, positions, column.header)
            try:
                if column.key in _LIBRARY_CHOICES:
                    data[column.key] = _library_choice(column.key, raw, column.header)
                else:
                    data[column.key] = cell_text(raw)
                    if column.required and not data[column.key]:
                        raise CellError(f"{column.header}不能为空。")
            except CellError as error:
                row_errors.append(RowError(sheet_name, number, column.header, str(error)))
        code = data.get("code")
        if code:
            if code in first_seen:
                row_errors.append(
                    RowError(sheet_name, number, "指标编码", f"指标编码“{code}”与第 {first_seen[code]} 行重复。")
                )
            else:
                first_seen[code] = number
        errors += row_errors
        if not row_errors:
            parsed.append((number, data))
    return parsed, errors


def import_library(user, file) -> LibraryImportResult:
    """Import the indicator library: a row per template, matched by 指标编码 (new codes are
    created confirmed, known ones updated) through targets/library.py. The performance office
    only; all or nothing."""
    allowed, reason = library.can_manage_library(user)
    if not allowed:
        deny(TransitionForbidden, reason, user, None, "导入指标库")
    name = os.path.basename(getattr(file, "name", "") or "")
    result = LibraryImportResult()
    workbook, problem = _open(file)
    if problem is None:
        found = next(((t, r) for t, r in workbook if t == LIBRARY_SHEET), workbook[0] if workbook else None)
        if found is None or len(found[1]) < 2:
            problem = "文件中没有可导入的指标。"
    if problem is not None:
        result.errors = [RowError("", None, "", problem)]
        _record_library_import(user, name, result)
        return result
    sheet_name, rows = found
    parsed, result.errors = _parse_library(sheet_name, rows)
    codes = [data["code"] for _, data in parsed]
    existing = {}
    for chunk in _chunks(codes):
        existing.update({t.code: t for t in IndicatorTemplate.objects.filter(code__in=chunk)})
    # First every row's own checks (no writes), so one pass lists every error of the file.
    for number, data in parsed:
        draft = IndicatorTemplate(**data)
        try:
            draft.clean_fields(exclude=["proposed_by", "created_at", "status"])
            draft.clean()
        except ValidationError as error:
            result.errors += _library_errors(sheet_name, number, error)
    if not result.errors:
        with transaction.atomic():
            for number, data in parsed:
                template = existing.get(data["code"])
                try:
                    if template is None:
                        library.create_template(user, data)
                        result.created += 1
                    else:
                        library.update_template(template, user, data)
                        result.updated += 1
                except ValidationError as error:
                    result.errors += _library_errors(sheet_name, number, error)
                except WorkflowError as error:
                    result.errors.append(RowError(sheet_name, number, "", error.message))
            if result.errors:
                transaction.set_rollback(True)
                result.created = result.updated = 0
    result.errors.sort(key=lambda e: e.row or 0)
    _record_library_import(user, name, result)
    return result


def _library_errors(sheet_name: str, number: int, error: ValidationError) -> list[RowError]:
    if not hasattr(error, "error_dict"):
        return [RowError(sheet_name, number, "", m) for m in error.messages]
    return [
        RowError(sheet_name, number, LIBRARY_HEADER_OF.get(key, ""), message)
        for key, messages in error.message_dict.items()
        for message in messages
    ]


def _record_library_import(user, name: str, result: LibraryImportResult):
    record_event(
        AuditEventKind.IMPORT,
        user=user,
        success=result.ok,
        object_type="targets.indicatortemplate",
        after={"file": name, "created": result.created, "updated": result.updated, "errors": len(result.errors)},
        message=(
            f"导入指标库：新增 {result.created} 条，更新 {result.updated} 条"
            if result.ok
            else f"导入指标库失败：{len(result.errors)} 处错误"
        )
        + f"（{name}）",
    )


def projects_for_template(user, *, project=None, department=None, year=None):
    """The projects a template is asked for, always inside the user's scope: one project, or a
    department's (default: all in scope) of a year (default: the current fiscal year)."""
    queryset = Project.objects.visible_to(user)
    if project is not None:
        return queryset.filter(pk=project)
    if department is not None:
        queryset = queryset.filter(department=department)
    if year is not None:
        return queryset.filter(fiscal_year__year=year)
    return queryset.filter(fiscal_year__is_current=True)
