"""The standard form 项目支出绩效目标申报表 (DESIGN §2.3): an approved sheet printed in that layout
(Excel and PDF) with the recorded review opinions, and a filled form read back into the same rows.
"""

import datetime
import io
import re
import shutil
import subprocess
import zlib
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from targets import pdf, services
from targets.choices import Comparator, IndicatorPeriod, Level1, Level2, SheetStatus
from targets.excel import import_target_workbook
from targets.models import TargetSheet
from targets.standard_form import TITLE, form_sheets, read_form, split_value, standard_form_workbook
from workflow.audit import AuditEventKind
from workflow.models import AuditEvent
from workflow.services import perform_transition

from . import factories as f

WHOLE_ROWS = [
    {
        "period": IndicatorPeriod.WHOLE,
        "level1": Level1.OUTPUT,
        "level2": Level2.QUANTITY,
        "name": "三年新建教室",
        "comparator": Comparator.GTE,
        "target_value": "60",
        "unit": "间",
        "weight": "50",
    },
    {
        "period": IndicatorPeriod.WHOLE,
        "level1": Level1.EFFECT,
        "level2": Level2.SUSTAINABILITY,
        "name": "办学条件持续改善",
        "comparator": Comparator.QUALITATIVE,
        "target_text": "显著改善",
        "weight": "40",
        "note": "以教育督导评估为准",
    },
]
YEAR_ROWS = [
    {**f.VALID_ROWS[0], "weight": "29.5"},
    f.VALID_ROWS[1],
    {
        "level1": Level1.OUTPUT,
        "level2": Level2.COST,
        "name": "生均改造成本",
        "comparator": Comparator.LTE,
        "target_value": "1250.5",
        "unit": "元",
        "weight": "0.5",
    },
    {**f.VALID_ROWS[2], "note": "含新建和改扩建"},
    f.VALID_ROWS[3],
]
FIELDS = ("period", "level1", "level2", "name", "comparator", "target_value", "target_text", "unit", "weight", "note")


@pytest.fixture
def approved(city):
    """A three-year project's sheet with whole-period and year rows, approved through the chain
    with an opinion at every step."""
    project = f.ProjectFactory(
        fiscal_year=city.year,
        unit=city.unit_a1,
        is_new=False,
        code="XM-PRINT-1",
        name="校舍改扩建工程",
        responsible_phone="0791-86661234",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2028, 12, 31),
        budget_amount=Decimal("3456789.00"),
    )
    sheet = services.create_sheet(project, city.clerk)
    services.save_sheet(
        sheet,
        city.clerk,
        overall_goal="完成年度建设任务，新增学位 900 个。",
        whole_period_goal="三年内完成全部校舍改扩建，办学条件达到省级标准。",
        rows=[*WHOLE_ROWS, *YEAR_ROWS],
    )
    sheet.refresh_from_db()
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "return", city.reviewer, "请补充成本指标")  # history, not the form's opinion
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "approve", city.reviewer, "主管部门同意")
    perform_transition(sheet, "approve", city.finance, "业务科室审核通过")
    perform_transition(sheet, "approve", city.office, "同意，与预算同步批复")
    return TargetSheet.objects.get(pk=sheet.pk)


def saved_rows(sheet) -> list[tuple]:
    return [tuple(getattr(r, name) for name in FIELDS) for r in sheet.indicators.order_by("period", "position")]


def read_rows(worksheet) -> tuple:
    rows = [(n, values) for n, values in enumerate(worksheet.iter_rows(values_only=True), start=1)]
    return read_form(worksheet.title, rows)


# --- Excel -------------------------------------------------------------------------------------


def test_the_standard_form_round_trips_into_the_same_rows(city, approved):
    content = standard_form_workbook(form_sheets(TargetSheet.objects.filter(pk=approved.pk)))
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert wb.sheetnames == ["XM-PRINT-1"]
    form = read_rows(wb["XM-PRINT-1"])
    assert not form.errors
    assert (form.year, form.project_code, form.project_name) == (2026, "XM-PRINT-1", "校舍改扩建工程")
    assert form.overall_goal == approved.overall_goal and form.whole_period_goal == approved.whole_period_goal
    indicators, problems = services.build_rows(approved, [row.data for row in form.rows])
    assert not problems
    assert sorted(tuple(getattr(r, n) for n in FIELDS) for r in indicators) == sorted(saved_rows(approved))


def test_the_printed_form_shows_the_header_block_and_the_last_opinion_of_each_step(city, approved):
    content = standard_form_workbook(form_sheets(TargetSheet.objects.filter(pk=approved.pk)))
    ws = openpyxl.load_workbook(io.BytesIO(content))["XM-PRINT-1"]
    cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
    texts = [str(v) for v in cells.values()]
    assert cells["A1"] == TITLE and cells["A2"] == "（2026年度）"
    for expected in (
        "延续",
        "示例市教育局（JYJ）",
        "示例市第一中学",
        "张三 0791-86661234",
        "2026-01-01 至 2028-12-31",
        "实施期绩效指标",
        "年度绩效指标",
        "显著改善",
        "≥20间",
        "≤1250.5元",
    ):
        assert expected in texts, expected
    money = [v for v in cells.values() if isinstance(v, int | float) and v > 300]
    assert money == [pytest.approx(345.68), pytest.approx(345.68)]  # 资金总额 = 财政拨款 (万元)
    opinions = " ".join(t for t in texts if "意见" in t or "审核人" in t or "同意" in t or "通过" in t)
    assert "主管部门同意" in opinions and "业务科室审核通过" in opinions and "同意，与预算同步批复" in opinions
    assert "请补充成本指标" not in " ".join(texts)
    assert f"审核人：{city.office}" in opinions
    # Laid out for printing: A4, one page wide, merged title, bordered table.
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.page_setup.fitToWidth == 1
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A3"].border.left.style == "thin"


def test_a_key_projects_form_carries_the_expert_scores(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=False, is_key=True)
    sheet = f.TargetSheetFactory(project=project, rows=True)
    perform_transition(sheet, "submit", city.clerk)
    perform_transition(sheet, "approve", city.reviewer)
    perform_transition(sheet, "approve", city.finance)
    services.send_to_experts(sheet, city.office, [city.expert])
    services.submit_expert_review(sheet.expert_reviews.get(), city.expert_user, "88", "指标设置合理")
    html = pdf.render_form_html(TargetSheet.objects.get(pk=sheet.pk))
    assert "李专家（评分 88）：指标设置合理" in html and "第三方机构评审意见" in html


def test_a_filled_form_imports_into_the_adjustment_draft(city, approved):
    v2 = services.request_adjustment(approved, city.clerk, "成本指标调整")
    wb = openpyxl.load_workbook(
        io.BytesIO(standard_form_workbook(form_sheets(TargetSheet.objects.filter(pk=approved.pk))))
    )
    ws = wb["XM-PRINT-1"]
    cost = next(row for row in ws.iter_rows() if row[3].value == "生均改造成本")
    cost[4].value = "≤1200元"
    ws["A1"].value = TITLE  # an edited copy keeps its title
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_target_workbook(city.clerk, SimpleUploadedFile("申报表.xlsx", buffer.getvalue()))
    assert result.ok, result.errors
    assert (result.format, result.sheets_updated, result.rows) == ("standard", 1, 7)
    assert v2.indicators.get(name="生均改造成本").target_value == Decimal("1200")
    assert approved.indicators.get(name="生均改造成本").target_value == Decimal("1250.5")  # locked v1 untouched


def test_printing_the_approved_form_back_in_is_refused_while_it_is_locked(city, approved):
    content = standard_form_workbook(form_sheets(TargetSheet.objects.filter(pk=approved.pk)))
    result = import_target_workbook(city.clerk, SimpleUploadedFile("申报表.xlsx", content))
    assert [e.message for e in result.errors] == [
        "项目“XM-PRINT-1”：已批复的绩效目标表已锁定，不能修改；如需变更请提交调整申请。"
    ]


def test_a_form_without_a_code_is_matched_by_name_and_bad_cells_name_their_row(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=False, name="食堂改造")
    sheet = f.TargetSheetFactory(project=project, rows=True)
    wb = openpyxl.load_workbook(
        io.BytesIO(standard_form_workbook(form_sheets(TargetSheet.objects.filter(pk=sheet.pk))))
    )
    ws = wb.active
    ws["E3"].value = ws["F3"].value = None  # no 项目编码
    first = next(row for row in ws.iter_rows() if row[3].value == "新建教室数量")
    first[1].value = "产出类"
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_target_workbook(city.clerk, SimpleUploadedFile("申报表.xlsx", buffer.getvalue()))
    assert [(e.sheet_name, e.row, e.column) for e in result.errors] == [(ws.title, first[1].row, "一级指标")]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("≥95%", ("gte", "95", "%", "")),
        (">=3", ("gte", "3", "", "")),
        ("＜＝1250.5元", ("lte", "1250.5", "元", "")),
        ("20间", ("eq", "20", "间", "")),
        (12, ("eq", "12", "", "")),
        ("显著提升", ("qualitative", "", "", "显著提升")),
    ],
)
def test_the_forms_value_cell_splits_into_comparator_value_and_unit(cell, expected):
    value = split_value(cell)
    assert (value["comparator"], value["target_value"], value["unit"], value["target_text"]) == expected


# --- PDF -----------------------------------------------------------------------------------------


def pdf_streams(content: bytes) -> bytes:
    """The PDF with every Flate stream inflated (WeasyPrint packs objects into streams)."""
    blobs = [content]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            blobs.append(zlib.decompress(match[1]))
        except zlib.error:
            continue
    return b"\n".join(blobs)


def embedded_characters(inflated: bytes) -> set[str]:
    """The characters the embedded (subset) fonts map to Unicode: the glyphs the PDF draws."""
    found = set()
    for section in re.findall(rb"beginbf(?:char|range)(.*?)endbf(?:char|range)", inflated, re.S):
        for line in section.splitlines():
            codes = re.findall(rb"<([0-9a-fA-F]+)>", line)
            if len(codes) == 2:  # bfchar: <glyph> <unicode>
                found.add(bytes.fromhex(codes[1].decode()).decode("utf-16-be", "replace"))
            elif len(codes) == 3:  # bfrange: <first> <last> <unicode of first>
                first, last, start = (int(c, 16) for c in codes)
                found.update(chr(start + n) for n in range(last - first + 1))
    return found


def test_the_pdf_renders_with_the_cjk_font(city, approved):
    content = pdf.render_form_pdf(approved)
    assert content.startswith(b"%PDF-")
    inflated = pdf_streams(content)
    fonts = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([^/\s>\]]+)", inflated))
    assert fonts and all(b"CJK" in name for name in fonts), fonts  # Noto Sans/Serif CJK SC, embedded
    drawn = embedded_characters(inflated)
    for text in (TITLE, "主管部门同意", "同意，与预算同步批复", "校舍改扩建工程", "显著改善"):
        assert set(text) <= drawn, text
    titles = [
        bytes.fromhex(t.decode()).decode("utf-16-be") for t in re.findall(rb"/Title\s*<feff([0-9a-f]+)>", inflated)
    ]
    assert f"{TITLE}（2026年度）XM-PRINT-1 校舍改扩建工程" in titles  # the document's metadata
    if shutil.which("pdftotext"):  # poppler-utils, where installed: the text in reading order
        text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
        assert TITLE in text.decode()


def test_a_draft_prints_marked_as_not_approved(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=False)
    sheet = f.TargetSheetFactory(project=project, rows=True)
    html = pdf.render_form_html(sheet)
    assert "填报中（未批复，仅供核对）" in html and "实施期绩效指标" not in html


# --- pages and roles -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pdf", "xlsx"])
def test_who_may_print(city, client_for, approved, kind):
    url = reverse(f"targets:sheet_form_{kind}", args=[approved.pk])
    for persona in ("clerk", "reviewer", "finance", "office", "auditor"):
        response = client_for(city.users()[persona]).get(url)
        assert response.status_code == 200, persona
        assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-" if kind == "pdf" else b"PK\x03\x04")
    for persona in ("other_clerk", "evaluator", "expert"):
        assert client_for(city.users()[persona]).get(url).status_code == 404, persona
    event = AuditEvent.objects.filter(kind=AuditEventKind.EXPORT, object_id=str(approved.pk)).first()
    assert event.after == {"format": kind, "version": 1, "status": SheetStatus.APPROVED}
