"""Excel template, import and export of the project library (DESIGN §2.1, §5 "Bad input").

Workbooks are built in the tests with openpyxl; what is asserted is what the clerk sees: the
error table row by row, “成功导入 N 个项目”, and the rows of the exported file.
"""

import importlib
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import excel
from projects.excel import COLUMNS, import_projects
from projects.models import Project
from workflow.audit import AuditEventKind
from workflow.errors import TransitionForbidden
from workflow.models import AuditEvent

from . import factories as f

HEADERS = [c.header for c in COLUMNS]
IMPORT_URL = reverse("projects:project_import")
EXPORT_URL = reverse("projects:project_export")
TEMPLATE_URL = reverse("projects:project_template")


def row(**values) -> dict:
    """A valid row for unit_a1 (JYJ01) in 2026; override any header."""
    base = {
        "预算年度": 2026,
        "项目编码": "IMP-001",
        "项目名称": "校园安全改造",
        "实施单位编码": "JYJ01",
        "项目责任人": "王五",
        "责任人电话": "0791-88888888",
        "预算金额（万元）": 120.5,
        "资金来源": "一般公共预算资金",
        "实施期起": "2026-01-01",
        "实施期止": "2026-12-31",
        "预算类型": "一般公共预算",
        "项目类别": "项目支出",
        "是否新增": "否",
        "是否重大": "否",
        "项目概述": "改造教学楼消防设施",
    }
    base.update(values)
    return base


def workbook(rows: list[dict], headers=HEADERS, name="projects.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目库"
    ws.append(headers)
    for values in rows:
        ws.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=excel.XLSX_MIME)


def sheet_rows(content: bytes, sheet="项目库") -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    return rows


def errors_by_row(result) -> dict[int, set[str]]:
    found = {}
    for error in result.errors:
        found.setdefault(error.row, set()).add(error.column)
    return found


# --- template ----------------------------------------------------------------------------------


def test_template_lists_headers_allowed_values_and_only_the_clerks_units(city, client_for):
    response = client_for(city.clerk).get(TEMPLATE_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_MIME
    assert "filename*=UTF-8''%E9%A1%B9%E7%9B%AE%E5%BA%93" in response["Content-Disposition"]  # 项目库…
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["项目库", "填写说明"]
    assert [c.value for c in wb["项目库"][1]] == HEADERS
    help_values = {c.value for column in wb["填写说明"].iter_cols() for c in column}
    assert {"一般公共预算", "社会保险基金预算", "政府投资基金", "是", "否", "JYJ01", 2026} <= help_values
    assert "WJW01" not in help_values and "JYJ02" not in help_values  # other units are not offered
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in wb["项目库"].data_validations.dataValidation}
    assert dropdowns["K2"].startswith("'填写说明'!$A$")  # 预算类型
    assert dropdowns["D2"].startswith("'填写说明'!$E$")  # 实施单位编码


def test_the_downloaded_template_filled_in_imports(city):
    wb = openpyxl.load_workbook(io.BytesIO(excel.build_template(city.clerk)))
    wb["项目库"].append([row()[h] for h in HEADERS])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = import_projects(city.clerk, SimpleUploadedFile("填好的模板.xlsx", buffer.getvalue()))
    assert result.ok, result.errors
    assert result.created == 1
    project = Project.objects.get(code="IMP-001")
    assert project.unit == city.unit_a1 and project.department == city.dept_a
    assert project.budget_amount == Decimal("1205000.00")


# --- import: the must-show bad input -----------------------------------------------------------


def test_missing_column_is_named_and_nothing_is_written(city, client_for):
    headers = [h for h in HEADERS if h != "预算金额（万元）"]
    before = Project.objects.count()
    response = client_for(city.clerk).post(IMPORT_URL, {"file": workbook([row()], headers=headers)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "缺少列“预算金额（万元）”" in page
    assert "<th scope=\"col\" class=\"text-nowrap\">行号</th>" in page and "未导入任何项目" in page
    assert Project.objects.count() == before


def test_each_bad_row_is_reported_and_nothing_is_written(city, client_for):
    existing = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1, code="WJW-2026-001")
    rows = [
        row(**{"项目编码": "A-1", "预算金额（万元）": "一百万"}),  # row 2: non-numeric amount
        row(**{"项目编码": "A-2", "实施单位编码": "WJW01"}),  # row 3: another department's unit
        row(**{"项目编码": existing.code}),  # row 4: already in the library
        row(**{"项目编码": "A-5"}),  # row 5: fine on its own
        row(**{"项目编码": "A-5"}),  # row 6: duplicates row 5
        row(**{"项目编码": "A-7", "实施单位编码": "NOPE"}),  # row 7: no such unit
    ]
    before = Project.objects.count()
    response = client_for(city.clerk).post(IMPORT_URL, {"file": workbook(rows)})
    assert response.status_code == 400
    assert Project.objects.count() == before
    page = response.content.decode()
    assert "预算金额“一百万”不是数字" in page
    assert "未知的单位编码“WJW01”" in page and "未知的单位编码“NOPE”" in page
    assert "卫生健康" not in page  # the other department is never revealed
    assert f"项目编码“{existing.code}”在 2026 年度项目库中已存在" in page
    assert "项目编码“A-5”与第 5 行重复" in page
    for number in (2, 3, 4, 6, 7):
        assert f"第 {number} 行" in page
    assert "第 5 行</td>" not in page  # row 5 itself has no error

    result = import_projects(city.clerk, workbook(rows))
    assert errors_by_row(result) == {
        2: {"预算金额（万元）"},
        3: {"实施单位编码"},
        4: {"项目编码"},
        6: {"项目编码"},
        7: {"实施单位编码"},
    }
    assert result.created == 0 and Project.objects.count() == before
    failed = AuditEvent.objects.filter(kind=AuditEventKind.IMPORT, success=False)
    assert failed.count() == 2 and failed.first().after["errors"] == 5


def test_every_field_rule_is_checked_on_every_row(city):
    rows = [
        row(**{"项目编码": "B-2", "预算年度": 2031}),
        row(**{"项目编码": "B-3", "实施期起": "2026-13-45"}),
        row(**{"项目编码": "B-4", "预算类型": "专项资金"}),
        row(**{"项目编码": "B-5", "项目类别": None}),
        row(**{"项目编码": "B-6", "项目责任人": "  "}),
        row(**{"项目编码": "B-7", "是否重大": "可能"}),
        row(**{"项目编码": "B-8", "实施期起": "2026-06-01", "实施期止": "2026-01-01"}),  # model rule
        row(**{"项目编码": "B-9", "预算金额（万元）": -3}),
        row(**{"项目编码": "B-10", "预算金额（万元）": "0.0000001"}),  # finer than a cent
        row(**{"项目编码": "B-11", "项目名称": "名" * 201}),  # model max_length
        row(**{"项目编码": "B-12"}),
    ]
    result = import_projects(city.clerk, workbook(rows))
    assert errors_by_row(result) == {
        2: {"预算年度"},
        3: {"实施期起"},
        4: {"预算类型"},
        5: {"项目类别"},
        6: {"项目责任人"},
        7: {"是否重大"},
        8: {"实施期止"},
        9: {"预算金额（万元）"},
        10: {"预算金额（万元）"},
        11: {"项目名称"},
    }
    messages = {e.row: e.message for e in result.errors}
    assert messages[2] == "未知的预算年度：2031（系统中尚未设置该年度）。"
    assert messages[6] == "项目责任人不能为空。"
    assert messages[8] == "实施期止不能早于实施期起。"
    assert not Project.objects.filter(code__startswith="B-").exists()  # B-12 was fine, still not written


def test_a_valid_workbook_of_200_rows_imports_in_one_go(city, client_for):
    rows = [
        row(**{"项目编码": f"C-{n:03d}", "项目名称": f"项目{n}", "预算金额（万元）": n + 0.1}) for n in range(200)
    ]
    rows[0]["预算金额（万元）"] = "123.456789"  # text in the cell, to the cent
    rows[1].update({"预算类型": "government_fund", "项目类别": "政府购买服务", "是否新增": "是", "是否重大": "是"})
    response = client_for(city.clerk).post(IMPORT_URL, {"file": workbook(rows)}, follow=True)
    assert response.status_code == 200
    assert "成功导入 200 个项目" in response.content.decode()
    imported = Project.objects.filter(code__startswith="C-")
    assert imported.count() == 200
    assert set(imported.values_list("unit", "department", "created_by", "status").distinct()) == {
        (city.unit_a1.pk, city.dept_a.pk, city.clerk.pk, "draft")
    }
    # 万元 → yuan exactly, never through float arithmetic
    assert imported.get(code="C-000").budget_amount == Decimal("1234567.89")
    assert imported.get(code="C-005").budget_amount == Decimal("51000.00")
    second = imported.get(code="C-001")
    assert (second.budget_type, second.kind, second.is_new, second.is_major) == (
        "government_fund", "purchased_service", True, True,
    )
    assert second.needs_preassessment
    events = AuditEvent.objects.filter(kind=AuditEventKind.IMPORT)
    assert events.count() == 1 and events.get().after["created"] == 200 and events.get().success


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("projects.xlsx", "预算年度,项目编码\n2026,X\n".encode(), "文件已损坏或不是有效的 Office 文档"),  # renamed text
        ("projects.xlsx", b"PK\x03\x04" + b"\x00" * 200, "文件已损坏或不是有效的 Office 文档"),  # broken zip
        ("projects.csv", b"a,b\n", "只能导入 Excel 2007 及以上版本的 .xlsx 文件"),
        ("projects.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "只能导入"),
        ("projects.xlsx", b"", "文件为空"),
    ],
)
def test_garbage_files_get_a_message_not_a_500(city, client_for, name, content, message):
    response = client_for(city.clerk).post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_zip_with_broken_xml_is_unreadable_not_a_500(city, client_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("xl/workbook.xml", "<<<not xml")
    response = client_for(city.clerk).post(IMPORT_URL, {"file": SimpleUploadedFile("p.xlsx", buffer.getvalue())})
    assert response.status_code == 400
    assert "无法读取该文件" in response.content.decode()


def test_an_xml_entity_bomb_is_refused_by_defusedxml(city):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", bomb)
    result = import_projects(city.clerk, SimpleUploadedFile("p.xlsx", buffer.getvalue()))
    assert not result.ok and "无法读取该文件" in result.errors[0].message


def test_a_zip_bomb_workbook_is_refused_before_parsing(city):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (5 * 1024 * 1024))
    result = import_projects(city.clerk, SimpleUploadedFile("p.xlsx", buffer.getvalue()))
    assert [e.message for e in result.errors] == ["文件压缩比异常，疑似压缩炸弹，已拒绝。"]


def test_a_21_mb_workbook_is_refused(city, client_for):
    big = SimpleUploadedFile("projects.xlsx", b"PK\x03\x04" + b"\x00" * (21 * 1024 * 1024))
    response = client_for(city.clerk).post(IMPORT_URL, {"file": big})
    assert response.status_code == 400
    assert "文件超过 20 MB" in response.content.decode()
    big.seek(0)
    result = import_projects(city.clerk, big)
    assert [e.message for e in result.errors] == ["文件超过 20 MB，请压缩或拆分后再上传。"]


def test_an_empty_template_says_so(city):
    result = import_projects(city.clerk, workbook([]))
    assert [e.message for e in result.errors] == ["文件中没有可导入的数据行。"]


# --- import: who may --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "finance", "office", "expert_user", "evaluator", "auditor"])
def test_only_unit_staff_may_import(city, client_for, persona):
    user = getattr(city, persona)
    client = client_for(user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 403
    assert "只有单位填报人可以新建项目" in response.content.decode()
    response = client.post(IMPORT_URL, {"file": workbook([row()])})
    assert response.status_code == 403
    assert not Project.objects.filter(code="IMP-001").exists()
    with pytest.raises(TransitionForbidden):
        import_projects(user, workbook([row()]))
    assert AuditEvent.objects.filter(kind=AuditEventKind.PERMISSION_DENIED, user=user).exists()


def test_the_import_page_for_the_clerk_and_anonymous(city, client_for):
    response = client_for(city.clerk).get(IMPORT_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "下载导入模板" in page and 'enctype="multipart/form-data"' in page
    assert client_for(None).get(IMPORT_URL).status_code == 302
    assert client_for(None).get(TEMPLATE_URL)["Location"].startswith(reverse("accounts:login"))
    assert client_for(None).get(EXPORT_URL).status_code == 302


def test_a_unit_code_within_the_clerks_subtree_is_accepted_only_for_her_units(city):
    result = import_projects(city.clerk_a2, workbook([row(**{"实施单位编码": "JYJ02"})]))
    assert result.ok and Project.objects.get(code="IMP-001").unit == city.unit_a2
    result = import_projects(city.clerk_a2, workbook([row(**{"项目编码": "IMP-002", "实施单位编码": "JYJ01"})]))
    assert [e.message for e in result.errors] == ["未知的单位编码“JYJ01”。"]


# --- export -----------------------------------------------------------------------------------


@pytest.fixture
def library(city):
    make = f.ProjectFactory
    return {
        "a1": make(fiscal_year=city.year, unit=city.unit_a1, code="A1-1", name="一中食堂"),
        "a1_major": make(fiscal_year=city.year, unit=city.unit_a1, code="A1-2", name="=HYPERLINK(\"x\")",
                         is_new=True, is_major=True, budget_amount=Decimal("6000000.00")),
        "a2": make(fiscal_year=city.year, unit=city.unit_a2, code="A2-1", name="二中操场"),
        "b1": make(fiscal_year=city.year, unit=city.unit_b1, code="B1-1", name="医院设备", is_key=True),
    }


def exported_codes(response) -> list[str]:
    assert response.status_code == 200
    rows = sheet_rows(response.content)
    assert list(rows[0]) == HEADERS + ["主管部门", "状态", "事前评估状态", "是否重点"]
    return sorted(r[1] for r in rows[1:])


@pytest.mark.parametrize(
    "persona, codes",
    [
        ("clerk", ["A1-1", "A1-2"]),
        ("clerk_a2", ["A2-1"]),
        ("reviewer", ["A1-1", "A1-2", "A2-1"]),
        ("other_clerk", ["B1-1"]),
        ("finance", ["A1-1", "A1-2", "A2-1", "B1-1"]),
        ("office", ["A1-1", "A1-2", "A2-1", "B1-1"]),
        ("auditor", ["A1-1", "A1-2", "A2-1", "B1-1"]),  # read-only everywhere: export allowed
        # Agencies and experts see only what they are assigned (none here): an empty workbook,
        # not a 403 — the export follows visible_to like every other list.
        ("evaluator", []),
        ("expert_user", []),
    ],
)
def test_export_contains_exactly_the_visible_rows(city, client_for, library, persona, codes):
    response = client_for(getattr(city, persona)).get(EXPORT_URL)
    assert exported_codes(response) == codes
    event = AuditEvent.objects.get(kind=AuditEventKind.EXPORT)
    assert event.after["count"] == len(codes) and event.user == getattr(city, persona)


def test_export_applies_the_list_filters_and_names_the_file_in_chinese(city, client_for, library):
    client = client_for(city.reviewer)
    response = client.get(EXPORT_URL, {"unit": city.unit_a2.pk})
    assert exported_codes(response) == ["A2-1"]
    assert "filename*=UTF-8''%E9%A1%B9%E7%9B%AE%E5%BA%93%E5%AF%BC%E5%87%BA_" in response["Content-Disposition"]
    assert exported_codes(client.get(EXPORT_URL, {"q": "食堂"})) == ["A1-1"]
    assert exported_codes(client.get(EXPORT_URL, {"is_major": "true"})) == ["A1-2"]
    # another department's unit is not a valid choice for this reviewer: no silent full export
    refused = client.get(EXPORT_URL, {"unit": city.unit_b1.pk})
    assert refused.status_code == 302
    event = AuditEvent.objects.filter(kind=AuditEventKind.EXPORT).order_by("pk").first()
    assert event.after == {"filters": {"unit": str(city.unit_a2.pk)}, "count": 1}


def test_export_values_match_the_template_and_formulas_stay_text(city, client_for, library):
    rows = sheet_rows(client_for(city.office).get(EXPORT_URL, {"q": "A1-2"}).content)
    values = dict(zip(rows[0], rows[1], strict=True))
    assert values["项目名称"] == '=HYPERLINK("x")'
    assert Decimal(str(values["预算金额（万元）"])) == Decimal("600")
    assert values["实施单位编码"] == "JYJ01" and values["主管部门"] == "示例市教育局"
    assert values["是否新增"] == "是" and values["是否重大"] == "是" and values["是否重点"] == "否"
    assert values["事前评估状态"] == "未开展" and values["状态"] == "草稿"
    wb = openpyxl.load_workbook(io.BytesIO(client_for(city.office).get(EXPORT_URL, {"q": "A1-2"}).content))
    assert wb["项目库"]["C2"].data_type == "s"  # text, not a formula that runs in the reader's Excel


def test_export_query_count_does_not_grow_with_rows(city, client_for):
    client = client_for(city.finance)
    f.ProjectFactory.create_batch(10, fiscal_year=city.year, unit=city.unit_a1)
    client.get(EXPORT_URL)  # warm caches that are not per-row (content types, sessions)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(EXPORT_URL).status_code == 200
    f.ProjectFactory.create_batch(90, fiscal_year=city.year, unit=city.unit_b1)
    with CaptureQueriesContext(connection) as hundred:
        response = client.get(EXPORT_URL)
    assert len(sheet_rows(response.content)) == 101
    assert len(hundred) == len(ten), [q["sql"] for q in hundred.captured_queries]


# --- configuration ----------------------------------------------------------------------------


def test_excel_refuses_to_load_without_defusedxml(monkeypatch):
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(ImproperlyConfigured, match="defusedxml"):
        importlib.reload(excel)
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", True)
    importlib.reload(excel)
