"""Excel of target sheets and of the indicator library (DESIGN §2.3, §5; issue 3 item 6).

Workbooks are built here with openpyxl in the template's columns; what is asserted is what the
clerk sees — the error table row by row, nothing written on any error — and what lands in the
database through the services (rows, versions, audit events).
"""

import io
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.uploads import CORRUPT_OFFICE_FILE
from targets import excel, services
from targets.choices import Comparator, IndicatorPeriod, Level1, Level2, SheetStatus, TemplateStatus
from targets.excel import FLAT_COLUMNS, import_library, import_target_workbook
from targets.models import LOCKED_MESSAGE, Indicator, IndicatorTemplate, TargetSheet
from workflow.audit import AuditEventKind
from workflow.errors import TransitionForbidden
from workflow.models import AuditEvent
from workflow.services import perform_transition

from . import factories as f

HEADERS = [c.header for c in FLAT_COLUMNS]
IMPORT_URL = reverse("targets:sheet_import")
EXPORT_URL = reverse("targets:sheet_export")
TEMPLATE_URL = reverse("targets:sheet_template")
GOAL = "完成年度建设任务，新增学位 900 个。"


def label_row(code: str, data: dict) -> dict:
    """One of factories.VALID_ROWS as the clerk types it in the template (labels, not values)."""
    return {
        "项目编码": code,
        "指标期间": "年度",
        "一级指标": Level1(data["level1"]).label,
        "二级指标": Level2(data["level2"]).label,
        "三级指标": data["name"],
        "比较方式": Comparator(data["comparator"]).label,
        "指标值": float(data["target_value"]),
        "计量单位": data["unit"],
        "权重": float(data["weight"]),
    }


def valid_rows(code: str) -> list[dict]:
    return [label_row(code, data) for data in f.VALID_ROWS]


def workbook(rows: list[dict], goals: list[dict] | None = None, name="targets.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效指标"
    ws.append(HEADERS)
    for values in rows:
        ws.append([values.get(h) for h in HEADERS])
    if goals is not None:
        goal_ws = wb.create_sheet("总体目标")
        goal_ws.append(["项目编码", "项目名称", "预算年度", "年度总体目标", "实施期总目标"])
        for values in goals:
            goal_ws.append([values["项目编码"], None, None, values.get("年度总体目标"), values.get("实施期总目标")])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=excel.XLSX_MIME)


def continuing_project(city, unit=None, **kwargs):
    """A continuing project (no pre-assessment needed) of unit_a1 unless told."""
    return f.ProjectFactory(fiscal_year=city.year, unit=unit or city.unit_a1, is_new=False, **kwargs)


def approve_through(sheet, city):
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "approve", city.reviewer)
    perform_transition(sheet, "approve", city.finance)
    perform_transition(sheet, "approve", city.office, "同意，与预算同步批复")
    sheet.refresh_from_db()


def rows_of(sheet) -> list[tuple]:
    return list(sheet.indicators.order_by("period", "position").values_list("name", "target_value", "weight"))


def errors_by_row(result) -> dict[int, set[str]]:
    found = {}
    for error in result.errors:
        found.setdefault(error.row, set()).add(error.column)
    return found


# --- template ----------------------------------------------------------------------------------


def test_department_template_is_prefilled_with_dropdowns_and_leaves_out_locked_sheets(city, client_for):
    written = continuing_project(city, code="T-WRITTEN")
    f.TargetSheetFactory(project=written, rows=True)
    continuing_project(city, code="T-EMPTY")
    locked = continuing_project(city, code="T-LOCKED")
    approve_through(f.TargetSheetFactory(project=locked, rows=True), city)
    other = continuing_project(city, unit=city.unit_b1, code="T-OTHER")

    response = client_for(city.reviewer).get(TEMPLATE_URL, {"department": city.dept_a.pk, "year": 2026})
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_MIME
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["绩效指标", "总体目标", "填写说明"]
    rows = list(wb["绩效指标"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    codes = [r[0] for r in rows[1:]]
    assert codes.count("T-WRITTEN") == 4 and codes.count("T-EMPTY") == 1  # a placeholder row
    assert "T-LOCKED" not in codes and other.code not in codes
    first = dict(zip(HEADERS, next(r for r in rows if r[0] == "T-WRITTEN"), strict=True))
    assert (first["一级指标"], first["比较方式"], first["指标值"], first["权重"]) == ("产出指标", "≥", 20, 30)
    goals = {r[0]: r[3] for r in wb["总体目标"].iter_rows(min_row=2, values_only=True)}
    assert goals == {"T-WRITTEN": GOAL, "T-EMPTY": None}
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in wb["绩效指标"].data_validations.dataValidation}
    assert dropdowns["E2"].startswith("'填写说明'!$B$") and dropdowns["H2"].startswith("'填写说明'!$D$")
    help_text = " ".join(str(c.value) for col in wb["填写说明"].iter_cols() for c in col if c.value)
    assert "定性" in help_text and "实施期" in help_text
    assert "T-LOCKED" in help_text and "T-EMPTY" not in help_text  # only what was left out is listed


def test_the_downloaded_template_uploads_unchanged(city, client_for):
    project = continuing_project(city, code="T-ROUND")
    sheet = f.TargetSheetFactory(project=project, rows=True)
    continuing_project(city, code="T-UNTOUCHED")  # placeholder row and blank goal: skipped
    content = client_for(city.clerk).get(TEMPLATE_URL).content
    result = import_target_workbook(city.clerk, SimpleUploadedFile("模板.xlsx", content))
    assert result.ok, result.errors
    assert (result.sheets_updated, result.sheets_created, result.rows) == (1, 0, 4)
    assert [r[0] for r in rows_of(sheet)] == [r["name"] for r in f.VALID_ROWS]
    assert not TargetSheet.objects.filter(project__code="T-UNTOUCHED").exists()


def test_template_of_another_departments_project_is_404(city, client_for):
    other = continuing_project(city, unit=city.unit_b1)
    assert client_for(city.clerk).get(TEMPLATE_URL, {"project": other.pk}).status_code == 404
    assert client_for(city.clerk).get(TEMPLATE_URL, {"project": "x"}).status_code == 400


# --- import: writes through the services ---------------------------------------------------------


def test_import_creates_the_sheet_and_writes_through_the_services(city, client_for):
    project = continuing_project(city, code="T-NEW")
    upload = workbook(valid_rows("T-NEW"), goals=[{"项目编码": "T-NEW", "年度总体目标": GOAL}])
    response = client_for(city.clerk).post(IMPORT_URL, {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "成功导入 1 张绩效目标表（新建 1 张）、4 行指标" in response.content.decode()
    sheet = TargetSheet.objects.get(project=project)
    assert (sheet.version, sheet.status, sheet.overall_goal) == (1, SheetStatus.DRAFT, GOAL)
    assert sheet.indicators.count() == 4
    assert sheet.indicators.get(name="新建教室数量").target_value == Decimal("20")
    kinds = list(AuditEvent.objects.filter(object_type="targets.targetsheet").values_list("kind", flat=True))
    assert set(kinds) >= {AuditEventKind.CREATE, AuditEventKind.UPDATE, AuditEventKind.IMPORT}
    event = AuditEvent.objects.get(kind=AuditEventKind.IMPORT)
    assert event.success and event.after["sheets_updated"] == 1 and event.after["rows"] == 4
    # The sheet is ready to submit: the import used the editor's checks.
    perform_transition(sheet, "submit", city.clerk)


def test_import_keeps_template_links_and_rows_of_other_periods_are_read(city):
    template = f.IndicatorTemplateFactory(name="新建教室数量")
    project = continuing_project(city, code="T-LINK")
    sheet = f.TargetSheetFactory(project=project, rows=True)
    sheet.indicators.filter(name="新建教室数量").update(template=template)
    rows = valid_rows("T-LINK")
    rows[0]["指标值"] = 25
    whole = {**label_row("T-LINK", f.VALID_ROWS[0]), "指标期间": "实施期", "指标值": 60}
    result = import_target_workbook(city.clerk, workbook([*rows, whole]))
    assert result.ok, result.errors
    row = sheet.indicators.get(period=IndicatorPeriod.YEAR, name="新建教室数量")
    assert (row.target_value, row.template_id) == (Decimal("25"), template.pk)
    assert sheet.indicators.get(period=IndicatorPeriod.WHOLE).target_value == Decimal("60")


def test_a_workbook_with_errors_in_five_rows_lists_all_five_and_writes_nothing(city, client_for):
    project = continuing_project(city, code="T-BAD")
    sheet = f.TargetSheetFactory(project=project, rows=True)
    before = rows_of(sheet)
    rows = valid_rows("T-BAD")
    rows[0] = {**rows[0], "一级指标": "产出类"}  # row 2: not a level 1
    rows[1] = {**rows[1], "权重": "二十"}  # row 3: not a number
    rows[2] = {**rows[2], "计量单位": None}  # row 4: quantitative without a unit
    rows[3] = {**rows[3], "二级指标": "社会效益指标"}  # row 5: level 2 of another level 1
    rows.append({**label_row("T-BAD", f.VALID_ROWS[0]), "比较方式": "定性", "指标值": None, "三级指标": "质量达标"})
    # row 6: qualitative without a value
    events_before = AuditEvent.objects.filter(kind=AuditEventKind.UPDATE).count()

    result = import_target_workbook(city.clerk, workbook(rows))
    assert errors_by_row(result) == {2: {"一级指标"}, 3: {"权重"}, 4: {"计量单位"}, 5: {"二级指标"}, 6: {"指标值"}}
    assert all(e.sheet_name == "绩效指标" for e in result.errors)
    messages = {e.row: e.message for e in result.errors}
    assert messages[2] == "一级指标“产出类”无效，可选：产出指标、效益指标、满意度指标。"
    assert messages[3] == "权重须为数字（当前为“二十”）。"
    assert messages[4] == "定量指标须填写计量单位。"
    assert rows_of(sheet) == before
    assert AuditEvent.objects.filter(kind=AuditEventKind.UPDATE).count() == events_before
    assert AuditEvent.objects.get(kind=AuditEventKind.IMPORT).success is False

    response = client_for(city.clerk).post(IMPORT_URL, {"file": workbook(rows)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "有 5 处错误，未导入任何内容" in page
    for number in (2, 3, 4, 5, 6):
        assert f"第 {number} 行" in page
    assert rows_of(sheet) == before


def test_whole_sheet_problems_name_the_project(city):
    continuing_project(city, code="T-WEIGHT")
    rows = valid_rows("T-WEIGHT")
    rows[0]["权重"] = 25
    result = import_target_workbook(city.clerk, workbook(rows, goals=[{"项目编码": "T-WEIGHT", "年度总体目标": GOAL}]))
    assert [e.message for e in result.errors] == [
        "项目“T-WEIGHT”：指标权重合计应为 90，当前为 85。",
        "项目“T-WEIGHT”：产出指标权重合计应为 50，当前为 45。",
    ]
    assert not TargetSheet.objects.filter(project__code="T-WEIGHT").exists()


def test_a_locked_sheet_is_refused_and_the_rest_of_the_file_is_not_written(city):
    locked = continuing_project(city, code="T-APPROVED")
    sheet = f.TargetSheetFactory(project=locked, rows=True)
    approve_through(sheet, city)
    continuing_project(city, code="T-FINE")
    rows = valid_rows("T-FINE") + [{**r, "指标值": 99} for r in valid_rows("T-APPROVED")]
    result = import_target_workbook(city.clerk, workbook(rows, goals=[{"项目编码": "T-FINE", "年度总体目标": GOAL}]))
    assert [(e.row, e.message) for e in result.errors] == [(6, f"项目“T-APPROVED”：{LOCKED_MESSAGE}")]
    assert sheet.indicators.get(name="新建教室数量").target_value == Decimal("20")
    assert not TargetSheet.objects.filter(project__code="T-FINE").exists()


def test_a_sheet_in_review_is_refused(city):
    project = continuing_project(city, code="T-REVIEW")
    sheet = f.TargetSheetFactory(project=project, rows=True)
    perform_transition(sheet, "submit", city.clerk)
    result = import_target_workbook(city.clerk, workbook(valid_rows("T-REVIEW")))
    assert [e.message for e in result.errors] == ["项目“T-REVIEW”：绩效目标表当前状态为“主管部门审核中”，不能修改。"]


def test_an_import_writes_into_the_adjustment_draft(city):
    project = continuing_project(city, code="T-ADJ")
    v1 = f.TargetSheetFactory(project=project, rows=True)
    approve_through(v1, city)
    v2 = services.request_adjustment(v1, city.clerk, "学位数下调")
    rows = valid_rows("T-ADJ")
    rows[2]["指标值"] = 800
    result = import_target_workbook(city.clerk, workbook(rows))
    assert result.ok, result.errors
    assert v2.indicators.get(name="新增学位数").target_value == Decimal("800")
    assert v1.indicators.get(name="新增学位数").target_value == Decimal("900")


def test_unknown_and_other_departments_codes_are_both_unknown(city):
    other = continuing_project(city, unit=city.unit_b1, code="WJW-T-1")
    f.TargetSheetFactory(project=other, rows=True)
    rows = valid_rows("WJW-T-1") + valid_rows("NO-SUCH-CODE")
    result = import_target_workbook(city.clerk, workbook(rows))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "项目编码", "未知的项目编码“WJW-T-1”。"),
        (6, "项目编码", "未知的项目编码“NO-SUCH-CODE”。"),
    ]
    assert other.target_sheets.get().indicators.count() == 4


def test_a_code_used_in_two_years_takes_the_year_column(city):
    older = f.FiscalYearFactory(year=2025, is_current=False)
    old = f.ProjectFactory(fiscal_year=older, unit=city.unit_a1, is_new=False, code="T-TWICE")
    new = continuing_project(city, code="T-TWICE")
    rows = [{**r, "预算年度": 2025} for r in valid_rows("T-TWICE")]
    wb = openpyxl.load_workbook(io.BytesIO(workbook(rows).read()))
    goal_ws = wb.create_sheet("总体目标")
    goal_ws.append(["项目编码", "预算年度", "年度总体目标"])
    goal_ws.append(["T-TWICE", "2025年", GOAL])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_target_workbook(city.clerk, SimpleUploadedFile("two-years.xlsx", buffer.getvalue()))
    assert result.ok, result.errors
    assert old.target_sheets.count() == 1 and new.target_sheets.count() == 0


def test_a_two_thousand_row_workbook_imports(city, capsys):
    """100 projects × 20 rows. Lookups are batched: the queries grow with projects (one save
    each, through the service), never with rows."""
    codes = [f"BIG-{n:03d}" for n in range(100)]
    for code in codes:
        continuing_project(city, code=code)
    per_project = (
        [(Level1.OUTPUT, Level2.QUANTITY, Decimal(5))] * 10
        + [(Level1.EFFECT, Level2.SOCIAL, Decimal(5))] * 6
        + [(Level1.SATISFACTION, Level2.SERVICE_SATISFACTION, Decimal("2.5"))] * 4
    )
    rows = []
    for code in codes:
        for n, (level1, level2, weight) in enumerate(per_project, start=1):
            rows.append(
                {
                    "项目编码": code,
                    "一级指标": Level1(level1).label,
                    "二级指标": Level2(level2).label,
                    "三级指标": f"指标{n}",
                    "比较方式": "≥",
                    "指标值": 90 + n,
                    "计量单位": "%",
                    "权重": float(weight),
                }
            )
    goals = [{"项目编码": code, "年度总体目标": GOAL} for code in codes]
    upload = workbook(rows, goals=goals)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = import_target_workbook(city.clerk, upload)
    elapsed = time.perf_counter() - started
    assert result.ok, result.errors[:5]
    assert (result.sheets_updated, result.sheets_created, result.rows) == (100, 100, 2000)
    assert Indicator.objects.filter(sheet__project__code__startswith="BIG-").count() == 2000
    assert len(queries) < 100 * 25  # per project, not per row
    with capsys.disabled():
        print(f"\n2,000-row target import: {elapsed:.2f} s, {len(queries)} queries ({connection.vendor})")
    assert elapsed < 120


# --- import: bad files -----------------------------------------------------------------------------


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("renamed.xlsx", "项目编码,一级指标\nX,产出".encode(), CORRUPT_OFFICE_FILE),
        ("bad-zip.xlsx", b"PK\x03\x04" + b"\x00" * 200, CORRUPT_OFFICE_FILE),
        ("not-office.xlsx", zipped({"hello.txt": b"hi"}), CORRUPT_OFFICE_FILE),
        ("targets.csv", b"a,b", "只能导入 Excel 2007 及以上版本的 .xlsx 文件"),
        ("broken.xlsx", zipped({"[Content_Types].xml": b"<nope", "xl/workbook.xml": b"<nope"}), "无法读取该文件"),
    ],
)
def test_malformed_files_get_one_clear_message_and_no_500(city, client_for, name, content, message):
    response = client_for(city.clerk).post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert AuditEvent.objects.get(kind=AuditEventKind.IMPORT).success is False


def test_a_workbook_of_neither_layout_is_refused(city):
    wb = openpyxl.Workbook()
    wb.active.append(["随便", "什么"])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_target_workbook(city.clerk, SimpleUploadedFile("other.xlsx", buffer.getvalue()))
    assert [e.message for e in result.errors] == [excel.UNKNOWN_FORMAT]


# --- roles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["auditor", "reviewer", "finance", "office", "evaluator", "expert"])
def test_only_unit_staff_import(city, client_for, persona):
    user = city.users()[persona]
    assert client_for(user).get(IMPORT_URL).status_code == 403
    assert client_for(user).post(IMPORT_URL, {"file": workbook([])}).status_code == 403
    with pytest.raises(TransitionForbidden):
        import_target_workbook(user, workbook([]))
    assert AuditEvent.objects.filter(kind=AuditEventKind.PERMISSION_DENIED).exists()


def test_the_import_page_shows_for_the_clerk(city, client_for):
    response = client_for(city.clerk).get(IMPORT_URL)
    assert response.status_code == 200
    assert "项目支出绩效目标申报表" in response.content.decode()


# --- export ----------------------------------------------------------------------------------------


def test_export_of_a_filtered_list_in_a_fixed_number_of_queries(city, client_for):
    key = continuing_project(city, code="T-KEY", is_key=True)
    f.TargetSheetFactory(project=key, rows=True)
    for n in range(2):
        f.TargetSheetFactory(project=continuing_project(city, code=f"T-PLAIN-{n}"), rows=True)
    f.TargetSheetFactory(project=continuing_project(city, unit=city.unit_b1, code="T-B"), rows=True)

    def export(user, **params):
        client = client_for(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(EXPORT_URL, params)
        assert response.status_code == 200
        wb = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        rows = list(wb["绩效指标"].iter_rows(values_only=True))
        goals = list(wb["总体目标"].iter_rows(values_only=True))
        return rows, goals, len(queries)

    rows, goals, few = export(city.auditor, is_key="true")
    assert {r[0] for r in rows[1:]} == {"T-KEY"} and len(rows) == 5 and len(goals) == 2
    assert rows[0][: len(HEADERS)] == tuple(HEADERS)
    assert rows[1][-4:] == (1, "填报中", city.dept_a.name, city.unit_a1.name)
    rows, goals, many = export(city.auditor)
    assert len(rows) == 1 + 16 and len(goals) == 5
    assert many == few == 9  # session, user, groups; the indicators, the goals; the audit event; session save (3)
    rows, _, _ = export(city.clerk)
    assert {r[0] for r in rows[1:]} == {"T-KEY", "T-PLAIN-0", "T-PLAIN-1"}  # her unit only
    rows, goals, _ = export(city.evaluator)
    assert len(rows) == 1 and len(goals) == 1  # agencies see no targets
    event = AuditEvent.objects.filter(kind=AuditEventKind.EXPORT).order_by("at", "id").first()
    assert event.after["filters"] == {"is_key": "true"} and event.after["rows"] == 4


def test_exported_text_starting_with_equals_stays_text(city):
    project = continuing_project(city, code="T-FORMULA")
    sheet = f.TargetSheetFactory(project=project, rows=True)
    sheet.indicators.filter(name="新建教室数量").update(name='=HYPERLINK("http://x","点我")')
    content = excel.export_sheets(TargetSheet.objects.all(), user=city.auditor)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "HYPERLINK" in xml


# --- the indicator library -------------------------------------------------------------------------

LIBRARY_HEADERS = [c.header for c in excel.LIBRARY_COLUMNS]


def library_workbook(rows: list[dict]) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标库"
    ws.append(LIBRARY_HEADERS)
    for values in rows:
        ws.append([values.get(h) for h in LIBRARY_HEADERS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("library.xlsx", buffer.getvalue())


def library_row(**values) -> dict:
    base = {
        "指标编码": "ZB-IMP-1",
        "三级指标名称": "义务教育巩固率",
        "一级指标": "效益指标",
        "二级指标": "社会效益指标",
        "类别": "分行业分领域指标",
        "行业领域": "教育",
        "比较方式": "≥",
        "计量单位": "%",
        "参考值": "95",
    }
    base.update(values)
    return base


def test_library_round_trip_creates_and_updates_by_code(city, client_for):
    existing = f.IndicatorTemplateFactory(code="ZB-OLD", name="旧名称")
    response = client_for(city.auditor).get(reverse("targets:library_export"))
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content))["指标库"].iter_rows(values_only=True))
    assert list(rows[0]) == LIBRARY_HEADERS and rows[1][:2] == ("ZB-OLD", "旧名称")

    upload = library_workbook([library_row(), library_row(**{"指标编码": "ZB-OLD", "三级指标名称": "新名称"})])
    response = client_for(city.office).post(reverse("targets:library_import"), {"file": upload}, follow=True)
    assert "新增 1 条，更新 1 条" in response.content.decode()
    existing.refresh_from_db()
    assert (existing.name, existing.level2) == ("新名称", Level2.SOCIAL)
    created = IndicatorTemplate.objects.get(code="ZB-IMP-1")
    assert (created.status, created.field, created.comparator) == (TemplateStatus.CONFIRMED, "education", "gte")


def test_library_import_lists_every_bad_row_and_writes_nothing(city):
    f.IndicatorTemplateFactory(code="ZB-OLD", name="旧名称")
    rows = [
        library_row(),
        library_row(**{"指标编码": "ZB-IMP-1"}),  # row 3: duplicates row 2
        library_row(**{"指标编码": "ZB-IMP-4", "二级指标": "数量指标"}),  # row 4: not under 效益
        library_row(**{"指标编码": "ZB-IMP-5", "行业领域": "航天"}),  # row 5
        library_row(**{"指标编码": "ZB-OLD", "三级指标名称": None}),  # row 6
    ]
    result = import_library(city.office, library_workbook(rows))
    assert errors_by_row(result) == {3: {"指标编码"}, 4: {"二级指标"}, 5: {"行业领域"}, 6: {"三级指标名称"}}
    assert not IndicatorTemplate.objects.filter(code__startswith="ZB-IMP").exists()
    assert IndicatorTemplate.objects.get(code="ZB-OLD").name == "旧名称"


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "finance", "auditor"])
def test_only_the_performance_office_imports_the_library(city, client_for, persona):
    user = city.users()[persona]
    assert client_for(user).get(reverse("targets:library_import")).status_code == 403
    with pytest.raises(TransitionForbidden):
        import_library(user, library_workbook([library_row()]))
    assert not IndicatorTemplate.objects.filter(code="ZB-IMP-1").exists()
