"""An approved target sheet is locked (DESIGN §2.3, issue 3 item 5): nobody changes it through the
API, the admin or the Excel import — and, under all of them, the model refuses the write. The
only way to change approved targets is an adjustment request (tests/test_api_targets.py)."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from targets import excel
from targets.choices import SheetStatus
from targets.models import LOCKED_MESSAGE, Indicator, TargetSheet
from workflow.audit import AuditEventKind
from workflow.errors import RuleViolation
from workflow.models import AuditEvent, ReviewRecord

from . import factories as f


def sheet_of(city, status, name="校舍维修"):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name=name)
    return f.TargetSheetFactory(project=project, rows=True, status=status, created_by=city.clerk)


@pytest.fixture
def approved(city):
    return sheet_of(city, SheetStatus.APPROVED)


def state(sheet) -> tuple:
    """Everything a change could touch: the sheet's fields, its rows, records and update events."""
    sheet = TargetSheet.objects.get(pk=sheet.pk)
    rows = list(Indicator.objects.filter(sheet=sheet).order_by("pk").values())
    return (
        sheet.overall_goal, sheet.whole_period_goal, sheet.status, sheet.updated_at, rows,
        TargetSheet.objects.count(), ReviewRecord.objects.count(),
        AuditEvent.objects.filter(kind=AuditEventKind.UPDATE).count(),
    )


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [SheetStatus.APPROVED, SheetStatus.SUPERSEDED])
@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("patch", {"overall_goal": "批复后改目标"}),
        ("patch", {"rows": [{**f.VALID_ROWS[0], "weight": "45"}, *f.VALID_ROWS[1:]]}),
        ("put", {"overall_goal": "整表替换", "rows": f.VALID_ROWS[:2]}),
    ],
)
def test_the_api_refuses_to_change_a_locked_sheet(city, status, method, body):
    sheet = sheet_of(city, status)
    before = state(sheet)
    response = getattr(api(city.clerk), method)(f"/api/v1/target-sheets/{sheet.pk}/", body, format="json")
    assert (response.status_code, response.json()) == (409, {"detail": LOCKED_MESSAGE})
    assert state(sheet) == before


def test_the_lock_holds_for_every_role_and_for_indicator_rows(city, approved):
    before = state(approved)
    for user in (city.reviewer, city.finance, city.office):
        response = api(user).patch(f"/api/v1/target-sheets/{approved.pk}/", {"overall_goal": "改"}, format="json")
        assert response.status_code == 403  # they never write targets, locked or not
    row = approved.indicators.first()
    for method in ("patch", "put", "delete"):
        response = getattr(api(city.clerk), method)(f"/api/v1/indicators/{row.pk}/", {"weight": "1"}, format="json")
        assert response.status_code == 405  # rows are read-only here: they change with their sheet
    assert api(city.clerk).post("/api/v1/target-sheets/", {"project": approved.project.pk}, format="json").json() == {
        "detail": "该项目已有绩效目标表；已批复的目标只能通过调整申请变更。"
    }
    assert state(approved) == before


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def root(client_for):
    return client_for(f.UserFactory(username="root", is_staff=True, is_superuser=True))


def admin_body(sheet, **changes) -> dict:
    """The change form as the admin page posts it, with the sheet's rows in the inline."""
    rows = list(sheet.indicators.order_by("position"))
    body = {
        "project": sheet.project.pk,
        "overall_goal": sheet.overall_goal,
        "whole_period_goal": sheet.whole_period_goal,
        "adjustment_reason": sheet.adjustment_reason,
        "indicators-TOTAL_FORMS": len(rows),
        "indicators-INITIAL_FORMS": len(rows),
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 1000,
        "expert_reviews-TOTAL_FORMS": 0,
        "expert_reviews-INITIAL_FORMS": 0,
        "expert_reviews-MIN_NUM_FORMS": 0,
        "expert_reviews-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        for name in (
            "period", "position", "level1", "level2", "name", "comparator", "target_value", "target_text", "unit",
            "weight", "last_year_actual", "note",
        ):
            value = getattr(row, name)
            body[f"indicators-{i}-{name}"] = "" if value is None else value
        body[f"indicators-{i}-id"] = row.pk
        body[f"indicators-{i}-sheet"] = sheet.pk
    body.update(changes)
    return body


def test_the_admin_changes_a_draft_sheet(city, root):
    """The control: the same POST on a draft sheet goes through, so the refusals below are the lock's."""
    draft = sheet_of(city, SheetStatus.DRAFT)
    url = reverse("admin:targets_targetsheet_change", args=[draft.pk])
    response = root.post(url, admin_body(draft, overall_goal="管理员修改", **{"indicators-0-weight": "31"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.overall_goal == "管理员修改"
    assert draft.indicators.get(position=1).weight == Decimal("31")


def test_the_admin_refuses_to_change_a_locked_sheet_or_its_rows(city, root, approved):
    before = state(approved)
    url = reverse("admin:targets_targetsheet_change", args=[approved.pk])
    assert root.post(url, admin_body(approved, overall_goal="管理员修改")).status_code == 403
    assert root.post(url, admin_body(approved, **{"indicators-0-weight": "45"})).status_code == 403
    delete = reverse("admin:targets_targetsheet_delete", args=[approved.pk])
    assert root.post(delete, {"post": "yes"}).status_code == 403
    # The page still opens, read-only: no input for any row.
    page = root.get(url)
    assert page.status_code == 200 and 'name="indicators-0-weight"' not in page.content.decode()
    # Indicators have no admin page of their own: rows are reached only through their sheet.
    with pytest.raises(NoReverseMatch):
        reverse("admin:targets_indicator_change", args=[approved.indicators.first().pk])
    assert state(approved) == before


def test_under_every_path_the_model_refuses(city, approved):
    row = approved.indicators.first()
    row.weight = Decimal("45")
    with pytest.raises(RuleViolation, match="已锁定"):
        row.save()
    with pytest.raises(RuleViolation, match="已锁定"):
        row.delete()
    with pytest.raises(RuleViolation, match="已锁定"):
        Indicator(sheet=approved, level1="output", level2="quantity", name="新增", comparator="gte").save()
    approved.overall_goal = "改"
    with pytest.raises(RuleViolation, match="已锁定"):
        approved.save()
    with pytest.raises(RuleViolation, match="已锁定"):
        approved.delete()
    assert Indicator.objects.get(pk=row.pk).weight != Decimal("45")


# --- the Excel import -----------------------------------------------------------------------


def workbook(*projects) -> SimpleUploadedFile:
    """The flat template filled with VALID_ROWS for each project (one changed weight each, valid)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = excel.FLAT_SHEET
    ws.append([c.header for c in excel.FLAT_COLUMNS])
    labels = {"output": "产出指标", "effect": "效益指标", "satisfaction": "满意度指标", "quantity": "数量指标",
              "quality": "质量指标", "social": "社会效益指标", "service_satisfaction": "服务对象满意度指标"}
    for project in projects:
        for row in f.VALID_ROWS:
            ws.append([
                project.code, project.name, project.fiscal_year.year, "年度", labels[row["level1"]],
                labels[row["level2"]], row["name"] + "（导入）", "≥", Decimal(row["target_value"]), row["unit"],
                Decimal(row["weight"]), None, "",
            ])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("绩效目标.xlsx", buffer.getvalue(), content_type=excel.XLSX_MIME)


def test_the_import_refuses_a_workbook_touching_a_locked_sheet_and_writes_nothing(city, approved):
    draft = sheet_of(city, SheetStatus.DRAFT, name="食堂改造")
    before_locked, before_draft = state(approved), state(draft)

    result = excel.import_target_workbook(city.clerk, workbook(draft.project, approved.project))

    assert not result.ok
    assert [e.message for e in result.errors] == [f"项目“{approved.project.code}”：{LOCKED_MESSAGE}"]
    assert result.errors[0].column == "项目编码"
    # All or nothing: the draft's rows in the same file are not written either.
    assert (state(approved), state(draft)) == (before_locked, before_draft)
    assert result.sheets_updated == result.rows == 0


def test_the_same_workbook_without_the_locked_sheet_imports(city, approved):
    """The control: the file itself is good, so the refusal above is the lock's."""
    draft = sheet_of(city, SheetStatus.DRAFT, name="食堂改造")
    result = excel.import_target_workbook(city.clerk, workbook(draft.project))
    assert result.ok, result.errors
    assert sorted(draft.indicators.values_list("name", flat=True))[0].endswith("（导入）")
