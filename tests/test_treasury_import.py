"""国库支付数据导入 (issue 4, deliverable 3; DESIGN §2.4, §2.7, §5 "Bad input").

Must show: a treasury workbook with an unknown project code and a negative amount is refused
whole, with both rows named; a valid 50,000-row workbook imports with a progress bar.

Workbooks are built here with openpyxl. The import runs as ``run_import`` called directly (what the
Celery task does), or through the page with eager Celery and the on-commit callbacks executed;
tests/test_treasury_worker.py runs it on a real worker.
"""

import datetime
import io
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services, treasury
from monitoring.choices import ImportStatus, Light, PaidSource, ReportStatus
from monitoring.models import MonitoringReport, TreasuryImport, TreasuryPayment
from monitoring.tasks import run_treasury_import
from projects.models import Project
from workflow.audit import AuditEventKind
from workflow.errors import TransitionForbidden
from workflow.models import AuditEvent

from . import factories as f
from . import test_attachments
from .test_project_pages import ROLES, assert_answer, user_of

HEADERS = [c.header for c in treasury.COLUMNS]
IMPORT_URL = reverse("monitoring:treasury_import")
TEMPLATE_URL = reverse("monitoring:treasury_template")
MB = 1024 * 1024

# Uploads go to a fresh directory per test (autouse), so 'nothing stored on disk' can be checked.
media = test_attachments.media
stored_files = test_attachments.stored_files


# --- workbooks -------------------------------------------------------------------------------------


def pay(code="XM-A", date="2026-03-01", amount="1000.00", voucher="PZ0001", payee="某建设公司", summary="工程款"):
    return {
        "项目编码": code,
        "支付日期": date,
        "支付金额（元）": amount,
        "支付凭证号": voucher,
        "收款单位": payee,
        "摘要": summary,
    }


def xlsx(rows: list[dict], headers=HEADERS, title_rows=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = treasury.DATA_SHEET
    for line in title_rows:
        ws.append([line])
    ws.append(headers)
    for values in rows:
        ws.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="国库支付明细.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def big_xlsx(codes: list[str], rows: int) -> bytes:
    """``rows`` valid payments spread over ``codes``, written in streaming mode (a few seconds)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(treasury.DATA_SHEET)
    ws.append(HEADERS)
    start = datetime.date(2026, 1, 1)
    for n in range(rows):
        day = start + datetime.timedelta(days=n % 360)
        ws.append([codes[n % len(codes)], day, 100 + n % 997 + 0.25, f"PZ2026{n:08d}", "某供应商", "采购款"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- data ------------------------------------------------------------------------------------------


@pytest.fixture
def q3(city):
    """Projects XM-A (unit_a1), XM-B (unit_b1), XM-C (unit_a2) with draft Q3 reports; XM-C's report is
    already with finance. Each budget is 1,000,000 yuan, so Q3 (75 % of the year) needs 600,000 paid
    for a green light."""
    projects = {
        code: f.ProjectFactory(fiscal_year=city.year, unit=unit, code=code)
        for code, unit in (("XM-A", city.unit_a1), ("XM-B", city.unit_b1), ("XM-C", city.unit_a2))
    }
    for project in projects.values():
        f.approved_sheet(project)
    monitoring_round = services.open_round(city.office, city.year, "quarter", 3)
    MonitoringReport.objects.filter(project=projects["XM-C"]).update(status=ReportStatus.FINANCE_REVIEW)
    return monitoring_round


def report_of(code: str) -> MonitoringReport:
    return MonitoringReport.objects.get(project__code=code)


def run(user, fiscal_year, content: bytes, name="国库支付明细.xlsx") -> TreasuryImport:
    """What the page and the task do together: store the upload, then import it."""
    return treasury.run_import(treasury.start_import(user, fiscal_year, upload(content, name)))


def errors_of(imp: TreasuryImport) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in imp.errors]


VALID_ROWS = [
    pay("XM-A", "2026-03-01", 500000, "PZ0001"),
    pay("XM-A", "2026-09-30", "100,000.00", "PZ0002"),
    pay("XM-A", "2026-10-08", 300000, "PZ0003"),  # after the Q3 period end: not in the Q3 report
    pay("XM-B", "2026/06/15", 1200.5, "PZ0004", payee="", summary=""),
    pay("XM-C", datetime.date(2026, 5, 5), 700000, "PZ0005"),  # XM-C's report is with finance
]


# --- must show: refused whole, both rows named ------------------------------------------------------


def test_an_unknown_code_and_a_negative_amount_refuse_the_whole_file_naming_both_rows(city, q3, client_for):
    rows = [
        pay("XM-A", voucher="PZ0001"),
        pay("XM-NONE", voucher="PZ0002"),
        pay("XM-B", amount=-500, voucher="PZ0003"),
        pay("XM-B", voucher="PZ0004"),
    ]
    imp = run(city.finance, city.year, xlsx(rows))
    assert imp.status == ImportStatus.FAILED
    assert errors_of(imp) == [
        (3, "项目编码", "项目编码“XM-NONE”不在 2026 年度项目库中。"),
        (4, "支付金额（元）", "支付金额须大于 0（当前为 -500）。"),
    ]
    assert imp.unmatched_codes == ["XM-NONE"]
    assert imp.message.startswith("文件有 2 处错误，未导入任何数据。")
    assert "其中 1 个项目编码不在 2026 年度项目库中" in imp.message
    assert not TreasuryPayment.objects.exists()  # the two valid rows were not written either
    assert report_of("XM-A").paid_to_date is None and report_of("XM-A").paid_source == PaidSource.MANUAL
    assert AuditEvent.objects.filter(kind=AuditEventKind.IMPORT, success=False, object_id=str(imp.pk)).exists()

    page = client_for(city.finance).get(imp.get_absolute_url()).content.decode()
    assert "第 3 行" in page and "项目编码“XM-NONE”不在 2026 年度项目库中。" in page
    assert "第 4 行" in page and "支付金额须大于 0（当前为 -500）。" in page
    assert "未匹配的项目编码（1 个" in page and '<code class="me-2 text-nowrap">XM-NONE</code>' in page
    assert "未导入" in page and "hx-trigger" not in page


BAD_ROWS = [
    ({"项目编码": None}, "项目编码", "项目编码不能为空。"),
    ({"支付日期": None}, "支付日期", "支付日期不能为空。"),
    ({"支付金额（元）": None}, "支付金额（元）", "支付金额不能为空。"),
    ({"支付凭证号": "  "}, "支付凭证号", "支付凭证号不能为空。"),
    ({"支付日期": "下月初"}, "支付日期", "支付日期“下月初”不是有效日期，请按 2026-01-01 的格式填写。"),
    ({"支付日期": "2025-12-31"}, "支付日期", "支付日期 2025-12-31 不在 2026 预算年度内。"),
    ({"支付日期": datetime.date(2027, 1, 1)}, "支付日期", "支付日期 2027-01-01 不在 2026 预算年度内。"),
    ({"支付金额（元）": "一千元"}, "支付金额（元）", "支付金额“一千元”不是数字，请填写以元为单位的金额。"),
    ({"支付金额（元）": 0}, "支付金额（元）", "支付金额须大于 0（当前为 0）。"),
    ({"支付金额（元）": "-0.01"}, "支付金额（元）", "支付金额须大于 0（当前为 -0.01）。"),
    ({"支付金额（元）": 12.345}, "支付金额（元）", "支付金额最多两位小数（精确到分，当前为 12.345）。"),
    ({"支付金额（元）": "1e20"}, "支付金额（元）", "支付金额超出允许范围。"),
    ({"支付金额（元）": "NaN"}, "支付金额（元）", "支付金额“NaN”不是数字，请填写以元为单位的金额。"),
    ({"支付凭证号": "P" * 41}, "支付凭证号", "支付凭证号不能超过 40 个字符。"),
    ({"收款单位": "公" * 121}, "收款单位", "收款单位不能超过 120 个字符。"),
    ({"摘要": "摘" * 201}, "摘要", "摘要不能超过 200 个字符。"),
]


@pytest.mark.parametrize(("change", "column", "message"), BAD_ROWS)
def test_each_kind_of_bad_row_is_named_and_nothing_is_written(city, q3, change, column, message):
    rows = [pay(voucher="PZ0001"), {**pay(voucher="PZ0002"), **change}]
    imp = run(city.finance, city.year, xlsx(rows))
    assert imp.status == ImportStatus.FAILED
    assert errors_of(imp) == [(3, column, message)]
    assert imp.unmatched_codes == []
    assert not TreasuryPayment.objects.exists()


def test_a_voucher_twice_in_the_file_names_both_rows(city, q3):
    rows = [pay(voucher="PZ0001"), pay(voucher="PZ0002"), pay("XM-B", voucher="PZ0001", amount=9)]
    imp = run(city.finance, city.year, xlsx(rows))
    assert errors_of(imp) == [(4, "支付凭证号", "支付凭证号“PZ0001”与第 2 行重复。")]
    assert not TreasuryPayment.objects.exists()


def test_every_problem_of_every_row_is_listed(city, q3):
    rows = [pay("XM-X", "昨天", "abc", None), pay("XM-Y", voucher="PZ1"), pay("XM-X", voucher="PZ2")]
    imp = run(city.finance, city.year, xlsx(rows))
    assert [(e[0], e[1]) for e in errors_of(imp)] == [
        (2, "项目编码"), (2, "支付日期"), (2, "支付金额（元）"), (2, "支付凭证号"), (3, "项目编码"), (4, "项目编码"),
    ]  # fmt: skip
    assert imp.unmatched_codes == ["XM-X", "XM-Y"]  # distinct, sorted


def test_a_project_code_of_another_year_is_unknown(city, q3):
    other_year = f.FiscalYearFactory(year=2025, is_current=False)
    f.ProjectFactory(fiscal_year=other_year, unit=city.unit_a1, code="XM-2025")
    imp = run(city.finance, city.year, xlsx([pay("XM-2025")]))
    assert errors_of(imp) == [(2, "项目编码", "项目编码“XM-2025”不在 2026 年度项目库中。")]


def test_missing_required_columns_are_named_on_the_header_row(city, q3):
    headers = ["项目编码", "支付日期", "金额", "收款单位"]
    imp = run(city.finance, city.year, xlsx([{"项目编码": "XM-A"}], headers=headers))
    assert imp.status == ImportStatus.FAILED
    assert errors_of(imp) == [
        (1, "支付金额（元）", "缺少列“支付金额（元）”，请使用下载的模板。"),
        (1, "支付凭证号", "缺少列“支付凭证号”，请使用下载的模板。"),
    ]
    assert imp.message == "文件缺少必填列：支付金额（元）、支付凭证号。"


def test_an_empty_sheet_and_too_many_rows_are_refused(city, q3, monkeypatch):
    empty = run(city.finance, city.year, xlsx([]))
    assert (empty.status, empty.message) == (ImportStatus.FAILED, "文件中没有可导入的数据行。")
    monkeypatch.setattr(treasury, "MAX_ROWS", 3)
    rows = [pay(voucher=f"PZ{n}") for n in range(5)]
    too_many = run(city.finance, city.year, xlsx(rows))
    assert (too_many.status, too_many.message) == (ImportStatus.FAILED, "一次最多导入 3 行，请拆分文件后分批导入。")
    assert not TreasuryPayment.objects.exists()


def test_more_errors_than_kept_are_counted_in_the_message(city, q3, monkeypatch):
    monkeypatch.setattr(treasury, "ERRORS_KEPT", 2)
    imp = run(city.finance, city.year, xlsx([pay("XM-X", voucher=f"PZ{n}") for n in range(5)]))
    assert len(imp.errors) == 2
    assert imp.message.startswith("文件有 5 处错误") and "（仅列出前 2 处）" in imp.message


# --- files that are not a workbook ---------------------------------------------------------------------


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.xlsx", EXE, "文件已损坏或不是有效的 Office 文档。"),  # a renamed .exe
        ("setup.exe", EXE, "只能导入 Excel 2007 及以上版本的 .xlsx 文件，请使用下载的模板填写。"),
        (
            "支付.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "只能导入 Excel 2007 及以上版本的 .xlsx 文件",
        ),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 300, "文件已损坏或不是有效的 Office 文档。"),
        ("empty.xlsx", b"", "文件为空，请重新选择。"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused_at_upload_and_nothing_is_stored(
    city, q3, media, client_for, name, content, message
):
    with pytest.raises(ValidationError) as refused:
        treasury.start_import(city.finance, city.year, upload(content, name))
    assert message in refused.value.messages[0]
    response = client_for(city.finance).post(f"{IMPORT_URL}?year=2026", {"file": upload(content, name)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TreasuryImport.objects.exists() and stored_files(media) == []


def test_an_oversize_file_is_refused_before_it_is_read(city, q3, media, client_for, settings):
    settings.UPLOAD_MAX_BYTES = 1 * MB
    big = xlsx([pay()]) + b"\x00" * (1 * MB)
    with pytest.raises(ValidationError, match="文件超过 1 MB，请压缩或拆分后再上传。"):
        treasury.start_import(city.finance, city.year, upload(big))
    # Through the page: refused from the Content-Length, before Django reads the body.
    response = client_for(city.finance).post(f"{IMPORT_URL}?year=2026", {"file": upload(big + b"\x00" * MB)})
    assert response.status_code == 400 and "文件超过 1 MB" in response.content.decode()
    assert not TreasuryImport.objects.exists() and stored_files(media) == []


def test_a_zip_that_breaks_inside_ends_failed_with_one_message(city, q3):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><not-closed>")
    imp = run(city.finance, city.year, buffer.getvalue())
    assert imp.status == ImportStatus.FAILED
    assert imp.message == treasury.UNREADABLE and imp.errors == []
    assert not TreasuryPayment.objects.exists()


def test_a_lost_file_ends_failed(city, q3):
    imp = treasury.start_import(city.finance, city.year, upload(xlsx([pay()])))
    imp.file.delete(save=False)
    imp = treasury.run_import(imp)
    assert (imp.status, imp.message) == (ImportStatus.FAILED, "上传的文件已不存在，请重新上传。")


def test_only_finance_may_start_an_import_and_a_refusal_is_audited(city, q3, media):
    for user in (city.auditor, city.clerk, city.reviewer, city.expert_user):
        with pytest.raises(TransitionForbidden, match="国库支付数据由财政部门导入。"):
            treasury.start_import(user, city.year, upload(xlsx([pay()])))
    assert AuditEvent.objects.filter(kind=AuditEventKind.PERMISSION_DENIED).count() == 4
    with pytest.raises(ValidationError, match="请选择预算年度。"):
        treasury.start_import(city.finance, None, upload(xlsx([pay()])))
    assert not TreasuryImport.objects.exists() and stored_files(media) == []


# --- a valid import ------------------------------------------------------------------------------------


def test_a_valid_import_sets_paid_to_date_through_the_period_end_and_recomputes_the_lights(city, q3, media):
    imp = run(city.office, city.year, xlsx(VALID_ROWS))
    assert imp.status == ImportStatus.SUCCEEDED, imp.errors
    assert (imp.created_count, imp.updated_count, imp.unchanged_count) == (5, 0, 0)
    assert (imp.processed, imp.total, imp.reports_updated) == (5, 5, 2)
    assert imp.message == "已导入 5 行支付数据：新增 5 条、更新 0 条、未变 0 条；重算绩效监控表 2 张。"
    assert imp.finished_at is not None and imp.phase == ""

    payment = TreasuryPayment.objects.get(voucher_no="PZ0002")
    assert (payment.project.code, payment.pay_date, payment.amount) == (
        "XM-A",
        datetime.date(2026, 9, 30),
        Decimal("100000.00"),
    )
    assert (payment.payee, payment.summary, payment.source_import) == ("某建设公司", "工程款", imp)
    assert TreasuryPayment.objects.get(voucher_no="PZ0004").amount == Decimal("1200.50")

    a = report_of("XM-A")  # 500,000 + 100,000 through Sep 30; the Oct 8 payment is not counted
    assert (a.paid_to_date, a.paid_source, a.paid_as_of) == (
        Decimal("600000.00"),
        PaidSource.TREASURY,
        datetime.date(2026, 9, 30),
    )
    assert (a.execution_rate, a.budget_ratio, a.budget_light) == (Decimal("60.00"), Decimal("80.00"), Light.GREEN)
    b = report_of("XM-B")
    assert (b.paid_to_date, b.paid_source, b.budget_light) == (Decimal("1200.50"), PaidSource.TREASURY, Light.RED)
    c = report_of("XM-C")  # with finance: judged on what was submitted
    assert (c.paid_to_date, c.paid_source, c.budget_light) == (None, PaidSource.MANUAL, "")

    event = AuditEvent.objects.get(kind=AuditEventKind.IMPORT, object_id=str(imp.pk))
    assert event.success and event.username == "office" and event.after["created"] == 5
    assert AuditEvent.objects.filter(kind=AuditEventKind.UPLOAD, object_id=str(imp.pk)).exists()
    (stored,) = stored_files(media)
    assert stored.name == Path(imp.file.name).name and "国库" not in stored.name  # a random name


def test_the_same_file_twice_changes_nothing(city, q3):
    content = xlsx(VALID_ROWS)
    run(city.finance, city.year, content)
    before = list(TreasuryPayment.objects.values_list("pk", "voucher_no", "amount", "source_import"))
    report_before = report_of("XM-A").lights_at
    again = run(city.finance, city.year, content)
    assert again.status == ImportStatus.SUCCEEDED
    assert (again.created_count, again.updated_count, again.unchanged_count, again.reports_updated) == (0, 0, 5, 0)
    assert list(TreasuryPayment.objects.values_list("pk", "voucher_no", "amount", "source_import")) == before
    assert report_of("XM-A").lights_at == report_before


def test_a_corrected_voucher_is_updated_and_the_reports_follow(city, q3):
    first = run(city.finance, city.year, xlsx(VALID_ROWS))
    corrected = [dict(row) for row in VALID_ROWS]
    corrected[0]["项目编码"] = "XM-B"  # PZ0001 (500,000) belonged to XM-A: both projects change
    corrected[1]["支付金额（元）"] = 40000
    second = run(city.finance, city.year, xlsx(corrected))
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 2, 3)
    assert second.reports_updated == 2
    moved = TreasuryPayment.objects.get(voucher_no="PZ0001")
    assert (moved.project.code, moved.source_import) == ("XM-B", second)
    assert TreasuryPayment.objects.get(voucher_no="PZ0004").source_import == first
    a, b = report_of("XM-A"), report_of("XM-B")
    assert (a.paid_to_date, a.paid_as_of, a.budget_light) == (
        Decimal("40000.00"),
        datetime.date(2026, 9, 30),
        Light.RED,
    )
    # 501,200.50 of 1,000,000 is 50.12 %; ÷ 75 % time progress = 66.83: yellow
    assert (b.paid_to_date, b.budget_ratio, b.budget_light) == (Decimal("501200.50"), Decimal("66.83"), Light.YELLOW)


def test_a_project_whose_only_voucher_moved_away_has_nothing_paid(city, q3):
    run(city.finance, city.year, xlsx(VALID_ROWS))
    corrected = [dict(row) for row in VALID_ROWS]
    corrected[3]["项目编码"] = "XM-A"  # PZ0004 was XM-B's only payment
    run(city.finance, city.year, xlsx(corrected))
    assert report_of("XM-B").paid_to_date == Decimal("0.00")


def test_a_title_above_the_header_and_loose_cells_are_read(city, q3):
    rows = [pay(code="XM-A", date="2026年3月1日", amount=" 1,234.5 ", voucher=20260001)]
    imp = run(city.finance, city.year, xlsx(rows, title_rows=["2026年国库集中支付明细", "单位：元"]))
    assert imp.status == ImportStatus.SUCCEEDED, imp.errors
    payment = TreasuryPayment.objects.get()
    assert (payment.voucher_no, payment.amount, payment.pay_date) == (
        "20260001",
        Decimal("1234.50"),
        datetime.date(2026, 3, 1),
    )


def test_binary_noise_of_a_computed_amount_is_not_a_third_decimal(city, q3):
    imp = run(city.finance, city.year, xlsx([pay(amount=0.1 + 0.2)]))
    assert imp.status == ImportStatus.SUCCEEDED, imp.errors
    assert TreasuryPayment.objects.get().amount == Decimal("0.30")


def test_an_import_runs_once_even_if_the_task_is_delivered_twice(city, q3):
    imp = run(city.finance, city.year, xlsx(VALID_ROWS))
    again = treasury.run_import(imp)
    assert again.status == ImportStatus.SUCCEEDED and TreasuryPayment.objects.count() == 5
    assert AuditEvent.objects.filter(kind=AuditEventKind.IMPORT, object_id=str(imp.pk)).count() == 1


def test_an_import_left_running_by_a_dead_worker_ends_failed_after_two_hours(city, q3):
    from monitoring.tasks import fail_stale_imports

    dead = treasury.start_import(city.finance, city.year, upload(xlsx(VALID_ROWS)))
    fresh = treasury.start_import(city.finance, city.year, upload(xlsx(VALID_ROWS)))
    three_hours_ago = timezone.now() - datetime.timedelta(hours=3)
    TreasuryImport.objects.filter(pk=dead.pk).update(status=ImportStatus.RUNNING, started_at=three_hours_ago)
    assert fail_stale_imports() == 1
    dead.refresh_from_db()
    fresh.refresh_from_db()
    assert (dead.status, dead.message) == (ImportStatus.FAILED, treasury.CRASHED)
    assert fresh.status == ImportStatus.QUEUED


def test_the_downloaded_template_filled_in_imports(city, q3, client_for):
    response = client_for(city.finance).get(TEMPLATE_URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [treasury.DATA_SHEET, "填写说明"]
    ws = wb[treasury.DATA_SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    assert {str(v.sqref) for v in ws.data_validations.dataValidation} == {"B2:B200001", "C2:C200001"}
    assert "支付凭证号是每笔支付的唯一标识" in "".join(str(c.value) for c in wb["填写说明"]["E"])
    ws.append(["XM-A", datetime.date(2026, 4, 1), 88.8, "PZ-T1", "", ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    imp = run(city.finance, city.year, buffer.getvalue())
    assert imp.status == ImportStatus.SUCCEEDED and TreasuryPayment.objects.get().amount == Decimal("88.80")


# --- must show: 50,000 rows with a progress bar ---------------------------------------------------------------


def test_a_valid_50000_row_workbook_imports_reporting_its_progress(city, monkeypatch):
    projects = f.ProjectFactory.build_batch(300, fiscal_year=city.year, unit=city.unit_a1)
    Project.objects.bulk_create(projects)
    codes = [p.code for p in projects]
    for project in Project.objects.filter(code__in=codes[:3]):
        f.approved_sheet(project)
    services.open_round(city.office, city.year, "quarter", 3)
    content = big_xlsx(codes, 50_000)

    seen = []
    original = treasury._progress

    def recording(import_id, **fields):
        seen.append(fields)
        original(import_id, **fields)

    monkeypatch.setattr(treasury, "_progress", recording)
    imp = treasury.start_import(city.finance, city.year, upload(content))
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        imp = treasury.run_import(imp)
    elapsed = time.monotonic() - started
    print(f"\n50,000-row treasury import on {connection.vendor}: {elapsed:.1f}s, {len(queries)} queries")

    assert imp.status == ImportStatus.SUCCEEDED, imp.message
    assert imp.processed == imp.total == 50_000
    assert (imp.created_count, imp.updated_count, imp.unchanged_count) == (50_000, 0, 0)
    assert TreasuryPayment.objects.count() == 50_000
    assert imp.reports_updated == 3
    # The bar moved: every 1,000 rows, against the right total from the start.
    processed = [s["processed"] for s in seen if "processed" in s]
    assert processed[:3] == [1000, 2000, 3000] and processed[-1] == 50_000
    assert processed == sorted(processed) and len(processed) >= 50
    assert {s["total"] for s in seen if "total" in s} == {50_000}
    assert [s["phase"] for s in seen if "phase" in s] == [treasury.PHASE_READING, treasury.PHASE_WRITING]
    # No query per row: the bulk writes and the progress updates only.
    assert len(queries) < 1000


# --- pages -------------------------------------------------------------------------------------------------


def an_import(city, status=ImportStatus.SUCCEEDED, **fields) -> TreasuryImport:
    return TreasuryImport.objects.create(
        fiscal_year=city.year, file="treasury/x", original_name="支付明细.xlsx", uploaded_by=city.finance,
        status=status, **fields,
    )  # fmt: skip


READERS = {"finance", "office", "auditor"}
LIST_EXPECTED = {role: 200 if role in READERS else 403 for role in ROLES} | {"anonymous": "login"}
DETAIL_EXPECTED = {role: 200 if role in READERS else 404 for role in ROLES} | {"anonymous": "login"}


@pytest.mark.parametrize("role", ROLES)
def test_the_import_page(client_for, city, role):
    an_import(city)
    response = client_for(user_of(city, role)).get(IMPORT_URL)
    assert_answer(response, LIST_EXPECTED[role])
    if response.status_code == 200:
        page = response.content.decode()
        assert "导入记录" in page and "支付明细.xlsx" in page and "已完成" in page
        assert ('name="file"' in page) == (role != "auditor")  # the auditor reads, never uploads
        assert ('<option value="2026" selected>' in page) == (role != "auditor")
    if response.status_code == 403:
        assert "国库支付数据由财政部门导入，仅财政部门和审计可以查看。" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_template_download(client_for, city, role):
    response = client_for(user_of(city, role)).get(TEMPLATE_URL)
    assert_answer(response, LIST_EXPECTED[role])


@pytest.mark.parametrize("role", ROLES)
def test_an_import_page_and_its_progress(client_for, city, role):
    imp = an_import(city, status=ImportStatus.RUNNING, processed=3000, total=50_000, phase=treasury.PHASE_READING)
    client = client_for(user_of(city, role))
    for url in (imp.get_absolute_url(), reverse("monitoring:treasury_import_progress", args=[imp.pk])):
        response = client.get(url)
        assert_answer(response, DETAIL_EXPECTED[role])
        if response.status_code == 200:
            assert "第 3000 / 50000 行" in response.content.decode()


@pytest.mark.parametrize("role", ["auditor", "clerk", "reviewer", "expert", "evaluator"])
def test_only_finance_may_upload(client_for, city, q3, role):
    response = client_for(user_of(city, role)).post(f"{IMPORT_URL}?year=2026", {"file": upload(xlsx([pay()]))})
    assert response.status_code == 403
    assert not TreasuryImport.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditEventKind.PERMISSION_DENIED, username=role).exists()


def test_the_progress_partial_polls_until_the_import_is_finished(client_for, city):
    imp = an_import(city, status=ImportStatus.QUEUED)
    url = reverse("monitoring:treasury_import_progress", args=[imp.pk])
    client = client_for(city.finance)
    queued = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}"' in queued and 'hx-trigger="every 1s"' in queued and "排队中" in queued

    TreasuryImport.objects.filter(pk=imp.pk).update(
        status=ImportStatus.RUNNING, phase=treasury.PHASE_READING, processed=12_000, total=50_000
    )
    running = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in running and "第 12000 / 50000 行" in running
    assert 'aria-valuenow="24"' in running and "width: 24%" in running and treasury.PHASE_READING in running

    TreasuryImport.objects.filter(pk=imp.pk).update(
        status=ImportStatus.SUCCEEDED, processed=50_000, total=50_000, created_count=49_000, unchanged_count=1000,
        reports_updated=7, message="已导入 50,000 行支付数据",
    )  # fmt: skip
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "hx-get" not in done  # the polling stops
    assert 'id="treasury-progress"' in done and "已完成" in done and "49000" in done and "7 张" in done


def test_upload_through_the_page_runs_the_task_and_shows_the_outcome(
    client_for, city, q3, django_capture_on_commit_callbacks, settings
):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    client = client_for(city.finance)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(f"{IMPORT_URL}?year=2026", {"file": upload(xlsx(VALID_ROWS))})
    finally:
        app.conf.task_always_eager = eager
    assert len(callbacks) == 1
    imp = TreasuryImport.objects.get()
    assert response.status_code == 302 and response["Location"] == imp.get_absolute_url()
    assert imp.status == ImportStatus.SUCCEEDED and TreasuryPayment.objects.count() == 5
    page = client.get(response["Location"]).content.decode()
    assert "已上传“国库支付明细.xlsx”，正在后台导入" in page
    assert "已导入 5 行支付数据" in page and "hx-trigger" not in page and "2 张" in page


def test_an_upload_for_an_unknown_year_is_refused(client_for, city, q3):
    response = client_for(city.finance).post(f"{IMPORT_URL}?year=1999", {"file": upload(xlsx([pay()]))})
    assert response.status_code == 400 and "请选择预算年度。" in response.content.decode()
    response = client_for(city.finance).post(f"{IMPORT_URL}?year=2026", {})
    assert response.status_code == 400 and "请选择要导入的 Excel 文件。" in response.content.decode()
    assert not TreasuryImport.objects.exists()


def test_the_task_never_leaves_an_import_running(city, q3, monkeypatch):
    imp = treasury.start_import(city.finance, city.year, upload(xlsx(VALID_ROWS)))

    def crash(treasury_import):
        TreasuryImport.objects.filter(pk=treasury_import.pk).update(status=ImportStatus.RUNNING)
        raise RuntimeError("database went away")

    monkeypatch.setattr(treasury, "run_import", crash)
    assert run_treasury_import(imp.pk) == {"import": imp.pk, "status": "failed"}
    imp.refresh_from_db()
    assert (imp.status, imp.message) == (ImportStatus.FAILED, treasury.CRASHED)
    assert run_treasury_import(10**9) == {"import": 10**9, "status": "missing"}


def test_the_import_list_query_count_does_not_grow_with_imports(client_for, city):
    client = client_for(city.finance)
    for _ in range(2):
        an_import(city)
    client.get(IMPORT_URL)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(IMPORT_URL).status_code == 200
    for n in range(20):
        an_import(city, status=ImportStatus.FAILED if n % 2 else ImportStatus.RUNNING, total=100, processed=n)
    with CaptureQueriesContext(connection) as many:
        assert client.get(IMPORT_URL).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
