"""国库集中支付数据导入: the treasury's payment export (Excel) read into ``TreasuryPayment`` rows, and
the paid-to-date of the monitoring reports still with the units recomputed from them (DESIGN §2.4).

``start_import`` checks and stores the upload and queues ``tasks.run_treasury_import``; the task
calls ``run_import``, which reads the workbook row by row (openpyxl read-only), writes its progress
on the ``TreasuryImport`` with plain UPDATEs the page polls, and is all or nothing: every problem of
every row is collected with its row and column, and nothing is written unless the whole file is
clean. The voucher number 支付凭证号 is the key, so importing the same export again changes nothing.

The Excel helpers (cell reading, dates, upload and zip checks) are the project library's
(projects/excel.py, projects/uploads.py).
"""

import io
import logging
import os
import re
from dataclasses import asdict
from decimal import Decimal, InvalidOperation

import openpyxl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from projects.excel import (
    HELP_SHEET,
    IMPORT_MAX_COLUMNS,
    CellError,
    Column,
    RowError,
    cell_text,
    check_xlsx_file,
    normalise_header,
    parse_date,
)
from projects.models import FiscalYear, Project
from projects.uploads import check_ooxml_zip, check_size, deny, file_size, sha256_of
from workflow.audit import AuditEventKind, record_event
from workflow.errors import TransitionForbidden

from . import permissions, services
from .choices import ImportStatus
from .models import TreasuryImport, TreasuryPayment

logger = logging.getLogger(__name__)

DATA_SHEET = "国库支付数据"
TEMPLATE_FILENAME = "国库支付数据导入模板.xlsx"
MAX_ROWS = 200_000
PROGRESS_EVERY = 1000  # rows between two progress writes
ERRORS_KEPT = 1000  # a wrong file can have an error on every row; the page shows the first ones
HEADER_SEARCH_ROWS = 10  # exports often put a title line or two above the header
LOOKUP_BATCH = 900  # vouchers per IN (...) lookup, under SQLite's parameter limit
WRITE_BATCH = 2000
MAX_AMOUNT = Decimal("1e14")  # TreasuryPayment.amount: 16 digits, 2 of them decimals

PHASE_READING = "读取并校验数据"
PHASE_WRITING = "写入支付记录并重算绩效监控表"

CODE, DATE, AMOUNT, VOUCHER, PAYEE, SUMMARY = "项目编码", "支付日期", "支付金额（元）", "支付凭证号", "收款单位", "摘要"
COLUMNS = (
    Column(CODE, "code", True, 18),
    Column(DATE, "pay_date", True, 12),
    Column(AMOUNT, "amount", True, 16),
    Column(VOUCHER, "voucher_no", True, 24),
    Column(PAYEE, "payee", False, 30),
    Column(SUMMARY, "summary", False, 40),
)
TEXT_LIMITS = {
    VOUCHER: TreasuryPayment._meta.get_field("voucher_no").max_length,
    PAYEE: TreasuryPayment._meta.get_field("payee").max_length,
    SUMMARY: TreasuryPayment._meta.get_field("summary").max_length,
}
PAYMENT_FIELDS = ("project_id", "pay_date", "amount", "payee", "summary")

UNREADABLE = "无法读取该文件，文件可能已损坏或不是有效的 Excel 文件，请上传国库集中支付系统导出的 .xlsx 文件。"
CRASHED = "导入时发生系统错误，未导入任何数据。请稍后重新上传；如仍失败，请联系系统管理员。"

INSTRUCTIONS = (
    f"1. 请在“{DATA_SHEET}”工作表填写或粘贴国库集中支付系统导出的数据，第一行为表头，请勿修改列名；每行一笔支付。",
    "2. 项目编码、支付日期、支付金额（元）、支付凭证号必填（表头红色）；收款单位、摘要可不填。",
    "3. 项目编码须为所选预算年度项目库中的编码；支付日期须在该预算年度内，按 2026-03-15 格式填写。",
    "4. 支付金额以元为单位，须大于 0，最多两位小数。",
    "5. 支付凭证号是每笔支付的唯一标识，同一文件中不得重复。再次导入同一凭证号时，"
    "内容相同的不变，内容不同的按新数据更新。",
    f"6. 任何一行有误时整份文件都不会导入，系统会逐行列出错误和未匹配的项目编码；一次最多 {MAX_ROWS:,} 行。",
    "7. 导入后，仍在单位填报中（填报中、已退回）的绩效监控表的“截至期末支付”"
    "按各期期末前的国库支付数自动更新，并重新计算预警。",
)


# ---------------------------------------------------------------- template


def build_template() -> bytes:
    """The import template: sheet 国库支付数据 with the headers (required ones red), cell checks on
    the date and amount columns, and sheet 填写说明 describing every column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([c.header for c in COLUMNS])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.fill = Font(bold=True, color="C00000" if column.required else None), fill
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    last_row = MAX_ROWS + 1
    checks = {
        DATE: DataValidation(
            type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=False,
            showErrorMessage=True, errorTitle="日期无效", error="请按 2026-03-15 的格式填写支付日期。",
        ),
        AMOUNT: DataValidation(
            type="decimal", operator="greaterThan", formula1="0", allow_blank=False,
            showErrorMessage=True, errorTitle="金额无效", error="支付金额须为大于 0 的数字（元），最多两位小数。",
        ),
    }  # fmt: skip
    for index, column in enumerate(COLUMNS, start=1):
        if column.header in checks:
            letter = get_column_letter(index)
            ws.add_data_validation(checks[column.header])
            checks[column.header].add(f"{letter}2:{letter}{last_row}")

    help_ws = wb.create_sheet(HELP_SHEET)
    bold = Font(bold=True)
    for col, title in enumerate(("列名", "是否必填", "说明"), start=1):
        help_ws.cell(row=1, column=col, value=title).font = bold
    notes = {
        CODE: "所选预算年度项目库中的项目编码",
        DATE: "国库实际支付日期，须在所选预算年度内",
        AMOUNT: "以元为单位，大于 0，最多两位小数",
        VOUCHER: f"国库支付凭证号，不超过 {TEXT_LIMITS[VOUCHER]} 个字符，同一文件中不得重复",
        PAYEE: f"不超过 {TEXT_LIMITS[PAYEE]} 个字",
        SUMMARY: f"用途摘要，不超过 {TEXT_LIMITS[SUMMARY]} 个字",
    }
    for row, column in enumerate(COLUMNS, start=2):
        help_ws.cell(row=row, column=1, value=column.header)
        help_ws.cell(row=row, column=2, value="是" if column.required else "否")
        help_ws.cell(row=row, column=3, value=notes[column.header])
    for col, width in enumerate((18, 10, 50), start=1):
        help_ws.column_dimensions[get_column_letter(col)].width = width
    help_ws.cell(row=1, column=5, value="填写说明").font = bold
    help_ws.column_dimensions["E"].width = 100
    for row, text in enumerate(INSTRUCTIONS, start=2):
        help_ws.cell(row=row, column=5, value=text).alignment = Alignment(wrap_text=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- upload


def start_import(user, fiscal_year, upload) -> TreasuryImport:
    """Check and store an uploaded export for ``fiscal_year`` and queue its import.

    Raises TransitionForbidden (who may not import, audited) or ValidationError (no year, not an
    .xlsx, oversize, not a real Excel file); on any refusal nothing is stored."""
    allowed, reason = permissions.can_import_treasury(user)
    if not allowed:
        deny(TransitionForbidden, reason, user, None, "导入国库支付数据")
    if fiscal_year is None:
        raise ValidationError("请选择预算年度。")
    if upload is None:
        raise ValidationError("请选择要导入的 Excel 文件。")
    name = os.path.basename((getattr(upload, "name", "") or "").replace("\\", "/"))[-200:]
    problem = check_xlsx_file(upload)
    if problem is not None:
        record_event(
            AuditEventKind.IMPORT,
            user=user,
            success=False,
            object_type="monitoring.treasuryimport",
            after={"file": name, "fiscal_year": fiscal_year.year},
            message=f"国库支付数据未导入：{problem}（{name}）",
        )
        raise ValidationError(problem)
    treasury_import = TreasuryImport(
        fiscal_year=fiscal_year,
        original_name=name,
        size=file_size(upload),
        sha256=sha256_of(upload),
        uploaded_by=user,
        status=ImportStatus.QUEUED,
    )
    # The stored name is random (models.treasury_upload_path); the original stays in the row.
    treasury_import.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            treasury_import.save()
            record_event(
                AuditEventKind.UPLOAD,
                user=user,
                obj=treasury_import,
                after={"file": name, "fiscal_year": fiscal_year.year, "size": treasury_import.size,
                       "sha256": treasury_import.sha256},
                message=f"上传{fiscal_year.year}年度国库支付数据：{name}",
            )  # fmt: skip
            from .tasks import run_treasury_import

            pk = treasury_import.pk
            transaction.on_commit(lambda: run_treasury_import.delay(pk))
    except Exception:
        treasury_import.file.delete(save=False)
        raise
    return treasury_import


# ---------------------------------------------------------------- reading


def _progress(import_id: int, **fields):
    """A plain UPDATE outside any transaction: the page polling the import sees it at once."""
    TreasuryImport.objects.filter(pk=import_id).update(**fields)


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b")


def _count_row_elements(ws) -> int:
    """How many <row> elements the sheet's XML holds, for the progress bar's N: files written in
    streaming mode carry no dimension, and reading them twice would double the work. 0: unknown."""
    try:
        count, tail = 0, b""
        with ws._get_source() as source:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                data = tail + chunk
                cut = data.rfind(b">") + 1  # a tag cut in two by the chunk waits for the next one
                count += len(_ROW_TAG.findall(data, 0, cut))
                tail = data[cut:]
        return count
    except Exception:  # noqa: BLE001 — only an estimate for the bar; the real count comes from reading
        logger.info("could not count the rows of a treasury import", exc_info=True)
        return ws.max_row or 0


def _find_header(ws) -> tuple[int, dict[str, int]]:
    """(Excel row number of the header, {normalised header: 0-based column}); the first of the
    first rows that names 项目编码, else the first row."""
    first = None
    for number, values in enumerate(
        ws.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=IMPORT_MAX_COLUMNS, values_only=True), start=1
    ):
        positions = {}
        for index, value in enumerate(values):
            if value is not None:
                positions.setdefault(normalise_header(value), index)
        if first is None:
            first = (number, positions)
        if CODE in positions:
            return number, positions
    return first or (1, {})


def _parse_amount(value) -> Decimal:
    """元, exactly: a number cell through its shortest repr (never float arithmetic)."""
    if isinstance(value, bool):
        raise CellError("支付金额须为数字（元）。")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
        cents = amount.quantize(Decimal("0.01")) if amount.is_finite() and abs(amount) < MAX_AMOUNT else amount
        if cents != amount and abs(cents - amount) < Decimal("1e-6"):
            amount = cents  # binary noise of a computed cell (0.1 + 0.2), not a third decimal
    else:
        text = cell_text(value).replace(",", "").replace("，", "")
        if not text:
            raise CellError("支付金额不能为空。")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError(f"支付金额“{text}”不是数字，请填写以元为单位的金额。") from None
    if not amount.is_finite():
        raise CellError(f"支付金额“{value}”不是数字，请填写以元为单位的金额。")
    if amount <= 0:
        raise CellError(f"支付金额须大于 0（当前为 {amount.normalize():f}）。")
    if amount >= MAX_AMOUNT:
        raise CellError("支付金额超出允许范围。")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"支付金额最多两位小数（精确到分，当前为 {amount.normalize():f}）。")
    return amount.quantize(Decimal("0.01"))


def _text(values, position, header: str, errors: list, number: int, required: bool) -> str:
    text = cell_text(values[position]) if position is not None and position < len(values) else ""
    if required and not text:
        errors.append(RowError(number, header, f"{header}不能为空。"))
    elif header in TEXT_LIMITS and len(text) > TEXT_LIMITS[header]:
        errors.append(RowError(number, header, f"{header}不能超过 {TEXT_LIMITS[header]} 个字符。"))
        return ""
    return text


class _Reading:
    """What one pass over the rows found: the clean rows and every problem."""

    def __init__(self):
        self.rows: list[tuple] = []  # (voucher, project_id, pay_date, amount, payee, summary)
        self.errors: list[RowError] = []
        self.error_count = 0
        self.unmatched: set[str] = set()
        self.count = 0
        self.too_many = False

    def add_errors(self, errors: list[RowError]):
        self.error_count += len(errors)
        room = ERRORS_KEPT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])


def _read_rows(treasury_import: TreasuryImport, ws, header_row: int, positions: dict) -> _Reading:
    fiscal_year = treasury_import.fiscal_year
    year = fiscal_year.year
    projects = dict(Project.objects.filter(fiscal_year=fiscal_year).values_list("code", "pk"))
    where = {c.header: positions.get(c.header) for c in COLUMNS}
    last_col = max(p for p in where.values() if p is not None) + 1
    estimate = max(_count_row_elements(ws) - header_row, 0)
    _progress(treasury_import.pk, phase=PHASE_READING, total=estimate)

    reading, first_row_of = _Reading(), {}
    rows = ws.iter_rows(min_row=header_row + 1, max_col=last_col, values_only=True)
    for number, values in enumerate(rows, start=header_row + 1):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        reading.count += 1
        if reading.count > MAX_ROWS:
            reading.too_many = True
            break
        if reading.count % PROGRESS_EVERY == 0:
            _progress(treasury_import.pk, processed=reading.count, total=estimate if estimate >= reading.count else 0)
        errors: list[RowError] = []
        code = _text(values, where[CODE], CODE, errors, number, True)
        project_id = projects.get(code)
        if code and project_id is None:
            reading.unmatched.add(code)
            errors.append(RowError(number, CODE, f"项目编码“{code}”不在 {year} 年度项目库中。"))
        pay_date = amount = None
        raw = values[where[DATE]] if where[DATE] < len(values) else None
        try:
            pay_date = parse_date(raw, DATE)
        except CellError as error:
            errors.append(RowError(number, DATE, str(error)))
        if pay_date is not None and pay_date.year != year:
            errors.append(RowError(number, DATE, f"支付日期 {pay_date:%Y-%m-%d} 不在 {year} 预算年度内。"))
        raw = values[where[AMOUNT]] if where[AMOUNT] < len(values) else None
        try:
            amount = _parse_amount(raw)
        except CellError as error:
            errors.append(RowError(number, AMOUNT, str(error)))
        voucher = _text(values, where[VOUCHER], VOUCHER, errors, number, True)
        if voucher:
            if voucher in first_row_of:
                message = f"支付凭证号“{voucher}”与第 {first_row_of[voucher]} 行重复。"
                errors.append(RowError(number, VOUCHER, message))
            else:
                first_row_of[voucher] = number
        payee = _text(values, where[PAYEE], PAYEE, errors, number, False)
        summary = _text(values, where[SUMMARY], SUMMARY, errors, number, False)
        if errors:
            reading.add_errors(errors)
        elif not reading.error_count:  # once the file is refused, its rows are only checked
            reading.rows.append((voucher, project_id, pay_date, amount, payee, summary))
    return reading


# ---------------------------------------------------------------- import


def _finish(treasury_import: TreasuryImport, **fields) -> TreasuryImport:
    fields.setdefault("phase", "")
    TreasuryImport.objects.filter(pk=treasury_import.pk).update(finished_at=timezone.now(), **fields)
    treasury_import.refresh_from_db()
    return treasury_import


def _fail(treasury_import: TreasuryImport, message: str, errors=(), unmatched=(), **fields) -> TreasuryImport:
    treasury_import = _finish(
        treasury_import,
        status=ImportStatus.FAILED,
        message=message[:500],
        errors=[asdict(e) for e in errors],
        unmatched_codes=sorted(unmatched),
        **fields,
    )
    record_event(
        AuditEventKind.IMPORT,
        user=treasury_import.uploaded_by,
        obj=treasury_import,
        success=False,
        after={"file": treasury_import.original_name, "errors": len(treasury_import.errors)},
        message=f"国库支付数据未导入：{message}"[:500],
    )
    return treasury_import


def mark_crashed(import_id: int) -> bool:
    """An unexpected error stopped the import: FAILED with a generic message, never left RUNNING
    (whatever it wrote was rolled back with its transaction). True if it was still unfinished."""
    return bool(
        TreasuryImport.objects.filter(pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
            status=ImportStatus.FAILED, phase="", message=CRASHED, finished_at=timezone.now()
        )
    )


def run_import(treasury_import: TreasuryImport) -> TreasuryImport:
    """Import a queued upload, all or nothing (see the module docstring). A broken or non-Excel
    file ends FAILED with one message; an import already started or finished is left alone."""
    started = TreasuryImport.objects.filter(pk=treasury_import.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, phase=PHASE_READING, started_at=timezone.now(), processed=0, total=0
    )
    treasury_import.refresh_from_db()
    if not started:  # delivered twice, or already done: compare-and-set lets one run through
        return treasury_import
    try:
        handle = treasury_import.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        return _fail(treasury_import, "上传的文件已不存在，请重新上传。")
    with handle:
        try:
            check_size(handle)
            check_ooxml_zip(handle, "xl/")
        except ValidationError as error:
            return _fail(treasury_import, "；".join(error.messages))
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 — any parser failure on untrusted input is "unreadable"
            logger.info("unreadable treasury import %s", treasury_import.pk, exc_info=True)
            return _fail(treasury_import, UNREADABLE)
        try:
            ws = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
            header_row, positions = _find_header(ws)
            missing = [c for c in COLUMNS if c.required and c.header not in positions]
            if missing:
                errors = [RowError(header_row, c.header, f"缺少列“{c.header}”，请使用下载的模板。") for c in missing]
                return _fail(treasury_import, f"文件缺少必填列：{'、'.join(c.header for c in missing)}。", errors)
            reading = _read_rows(treasury_import, ws, header_row, positions)
        except Exception:  # noqa: BLE001 — a sheet can break halfway through; still "unreadable"
            logger.warning("unreadable treasury import %s", treasury_import.pk, exc_info=True)
            return _fail(treasury_import, UNREADABLE)
        finally:
            workbook.close()
    counts = {"processed": reading.count, "total": reading.count}
    if reading.too_many:
        return _fail(treasury_import, f"一次最多导入 {MAX_ROWS:,} 行，请拆分文件后分批导入。", **counts)
    if not reading.count:
        return _fail(treasury_import, "文件中没有可导入的数据行。", **counts)
    if reading.error_count:
        message = f"文件有 {reading.error_count:,} 处错误，未导入任何数据。请修改后重新上传整份文件。"
        if reading.unmatched:
            year = treasury_import.fiscal_year.year
            message += f"其中 {len(reading.unmatched):,} 个项目编码不在 {year} 年度项目库中。"
        if reading.error_count > len(reading.errors):
            message += f"（仅列出前 {len(reading.errors):,} 处）"
        return _fail(treasury_import, message, reading.errors, reading.unmatched, **counts)
    _progress(treasury_import.pk, phase=PHASE_WRITING, **counts)
    return _write(treasury_import, reading.rows)


def _write(treasury_import: TreasuryImport, rows: list[tuple]) -> TreasuryImport:
    """Upsert the payments and refresh the reports, in one transaction with the final status."""
    fiscal_year = treasury_import.fiscal_year
    with transaction.atomic():
        # Two imports of one year at once would race for the same vouchers: one waits here.
        FiscalYear.objects.select_for_update().filter(pk=fiscal_year.pk).first()
        vouchers = [row[0] for row in rows]
        existing = {}
        for start in range(0, len(vouchers), LOOKUP_BATCH):
            for pk, voucher, *values in TreasuryPayment.objects.filter(
                fiscal_year=fiscal_year, voucher_no__in=vouchers[start : start + LOOKUP_BATCH]
            ).values_list("pk", "voucher_no", *PAYMENT_FIELDS):
                existing[voucher] = (pk, tuple(values))
        new, changed, touched = [], [], set()
        for voucher, *values in rows:
            values = tuple(values)
            touched.add(values[0])
            old = existing.get(voucher)
            if old is not None and old[1] == values:
                continue
            payment = TreasuryPayment(
                fiscal_year=fiscal_year, voucher_no=voucher, source_import=treasury_import,
                **dict(zip(PAYMENT_FIELDS, values, strict=True)),
            )  # fmt: skip
            if old is None:
                new.append(payment)
            else:
                payment.pk = old[0]
                touched.add(old[1][0])  # a voucher moved to another project changes both
                changed.append(payment)
        TreasuryPayment.objects.bulk_create(new, batch_size=WRITE_BATCH)
        TreasuryPayment.objects.bulk_update(changed, [*PAYMENT_FIELDS, "source_import"], batch_size=500)
        reports = services.refresh_paid_from_treasury(fiscal_year, sorted(touched))
        unchanged = len(rows) - len(new) - len(changed)
        message = (
            f"已导入 {len(rows):,} 行支付数据：新增 {len(new):,} 条、更新 {len(changed):,} 条、未变 {unchanged:,} 条；"
            f"重算绩效监控表 {reports:,} 张。"
        )
        treasury_import = _finish(
            treasury_import,
            status=ImportStatus.SUCCEEDED,
            message=message,
            created_count=len(new),
            updated_count=len(changed),
            unchanged_count=unchanged,
            reports_updated=reports,
            errors=[],
            unmatched_codes=[],
        )
        record_event(
            AuditEventKind.IMPORT,
            user=treasury_import.uploaded_by,
            obj=treasury_import,
            after={"file": treasury_import.original_name, "fiscal_year": fiscal_year.year, "rows": len(rows),
                   "created": len(new), "updated": len(changed), "unchanged": unchanged, "reports": reports},
            message=f"导入{fiscal_year.year}年度国库支付数据（{treasury_import.original_name}）：{message}",
        )  # fmt: skip
    return treasury_import
