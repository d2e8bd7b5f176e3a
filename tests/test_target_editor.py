"""The target-sheet editor (DESIGN §2.3): rows from the library or free-form, reordered, saved
through services.save_sheet; live weight totals from the check endpoint; unreadable rows named on
their row; a locked sheet refused with the lock message."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from targets.choices import Comparator, IndicatorPeriod, Level1, Level2, SheetStatus, TemplateStatus
from targets.models import LOCKED_MESSAGE, TargetSheet
from workflow.models import AuditEvent

from . import factories as f


def page_text(response) -> str:
    """What a reader sees: the HTML without its tags and with whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def editor_data(rows, overall_goal="完成年度建设任务。", whole_period_goal="", keys=None) -> dict:
    """The editor's POST for ``rows`` (dicts as in factories.VALID_ROWS), in page order."""
    keys = keys or [f"k{i}" for i in range(len(rows))]
    data = {"overall_goal": overall_goal, "whole_period_goal": whole_period_goal, "row": keys}
    for key, row in zip(keys, rows, strict=True):
        qualitative = row.get("comparator") == Comparator.QUALITATIVE
        values = {
            "period": row.get("period", IndicatorPeriod.YEAR),
            "level2": row.get("level2", ""),
            "name": row.get("name", ""),
            "comparator": row.get("comparator", ""),
            "value": row.get("target_text", "") if qualitative else row.get("target_value", ""),
            "unit": row.get("unit", ""),
            "weight": row.get("weight", ""),
            "last_year_actual": row.get("last_year_actual", ""),
            "template": row.get("template", ""),
            "note": row.get("note", ""),
        }
        data.update({f"r{key}-{name}": value for name, value in values.items()})
    return data


def with_changes(rows=None, **changes_by_name) -> list[dict]:
    """VALID_ROWS with some rows changed: ``with_changes(新建教室数量={"weight": "25"})``."""
    rows = f.VALID_ROWS if rows is None else rows
    return [{**row, **changes_by_name.get(row["name"], {})} for row in rows]


@pytest.fixture
def sheet(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="校舍改造工程")
    return f.TargetSheetFactory(project=project, rows=True)


def edit_url(sheet):
    return reverse("targets:sheet_edit", args=[sheet.pk])


def check_url(sheet):
    return reverse("targets:sheet_check", args=[sheet.pk])


# --- the page --------------------------------------------------------------------------------


def test_the_editor_shows_the_saved_rows_and_the_live_totals(client_for, city, sheet):
    response = client_for(city.clerk).get(edit_url(sheet))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="新建教室数量"' in page and 'value="学生家长满意度"' in page
    assert f'hx-post="{check_url(sheet)}"' in page and 'hx-trigger="change delay:300ms' in page
    assert "js/targets.js" in page and "Sortable.min.js" in page and "<script>" not in page
    assert "可以提交" in page_text(response)  # the valid factory table passes every check
    # A one-year project has no whole-period table.
    assert 'id="rows-year"' in page and 'id="rows-whole"' not in page


def test_a_multi_year_project_gets_the_whole_period_goal_and_table(client_for, city, sheet):
    type(sheet.project).objects.filter(pk=sheet.project.pk).update(period_end="2028-12-31")
    page = client_for(city.clerk).get(edit_url(sheet)).content.decode()
    assert 'name="whole_period_goal"' in page and 'id="rows-whole"' in page


def test_saving_replaces_the_rows_in_page_order(client_for, city, sheet):
    rows = list(reversed(f.VALID_ROWS)) + [
        {"level2": Level2.TIMELINESS, "name": "按期完工", "comparator": Comparator.QUALITATIVE,
         "target_text": "按期", "weight": "0.5"},
    ]
    rows = with_changes(rows, 新建教室数量={"weight": "29.5"})
    client = client_for(city.clerk)
    response = client.post(edit_url(sheet), editor_data(rows, overall_goal="  新目标  "))
    assert response.status_code == 302 and response["Location"] == sheet.get_absolute_url()
    sheet.refresh_from_db()
    saved = list(sheet.indicators.order_by("position"))
    assert [r.name for r in saved] == [r["name"] for r in rows]
    assert [r.position for r in saved] == [1, 2, 3, 4, 5]
    assert sheet.overall_goal == "新目标"
    # Level 1 follows the level-2 choice; a qualitative value is text.
    timely = saved[-1]
    assert (timely.level1, timely.target_text, timely.target_value) == (Level1.OUTPUT, "按期", None)
    assert saved[0].level1 == Level1.SATISFACTION and saved[0].target_value == Decimal("90")
    event = AuditEvent.objects.filter(kind="update", object_type="targets.targetsheet").latest("id")
    assert event.before["overall_goal"] != event.after["overall_goal"]
    assert "已保存，校验通过" in page_text(client.get(sheet.get_absolute_url()))


def test_a_draft_with_rule_problems_still_saves_and_says_what_is_left(client_for, city, sheet):
    rows = with_changes(新建教室数量={"weight": "25"})
    response = client_for(city.clerk).post(edit_url(sheet), editor_data(rows), follow=True)
    text = page_text(response)
    assert "已保存草稿。提交前还须处理 2 个问题" in text
    assert "指标权重合计应为 90，当前为 85" in text and "产出指标权重合计应为 50，当前为 45" in text
    assert sheet.indicators.get(name="新建教室数量").weight == Decimal("25")


def test_unreadable_rows_are_named_on_their_rows_and_nothing_is_saved(client_for, city, sheet):
    rows = with_changes(新建教室数量={"weight": "三十"}, 新增学位数={"target_value": "九百"})
    response = client_for(city.clerk).post(edit_url(sheet), editor_data(rows, overall_goal="不应保存"))
    text = page_text(response)
    assert response.status_code == 200
    assert "有 2 处内容无法识别，未保存" in text
    assert "第1行：权重须为数字（当前为“三十”）。" in text and "第3行：指标值须为数字（当前为“九百”）。" in text
    # What the clerk typed is kept for her to fix.
    assert 'value="三十"' in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.overall_goal != "不应保存"
    assert sheet.indicators.get(name="新建教室数量").weight == Decimal("30")


def test_a_bad_choice_or_a_forged_row_key_is_a_message_not_a_500(client_for, city, sheet):
    data = editor_data(with_changes(新建教室数量={"level2": "nonsense", "comparator": "~"}))
    data["row"] = [*data["row"], "<script>", "k0"]  # an invalid and a repeated key are ignored
    response = client_for(city.clerk).post(edit_url(sheet), data)
    text = page_text(response)
    assert response.status_code == 200
    assert "第1行：请选择一级指标。" in text and "第1行：请选择比较方式。" in text
    assert sheet.indicators.count() == 4


# --- live totals -----------------------------------------------------------------------------


def test_the_check_endpoint_returns_the_totals_and_problems_partial(client_for, city, sheet):
    client = client_for(city.clerk)
    response = client.post(check_url(sheet), editor_data(f.VALID_ROWS), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'id="sheet-check-card"' in page and "各项校验均已通过" in page_text(response)

    rows = with_changes(新建教室数量={"weight": "40"}, 学生家长满意度={"weight": "5"})
    response = client.post(check_url(sheet), editor_data(rows), HTTP_HX_REQUEST="true")
    text = page_text(response)
    assert re.search(r"产出指标 60 50", text) and re.search(r"满意度指标 5 10", text)
    assert re.search(r"合计 95 90", text)
    assert "指标权重合计应为 90，当前为 95" in text and "满意度指标权重合计应为 10，当前为 5" in text
    # The check only reads: nothing changed.
    assert sheet.indicators.get(name="新建教室数量").weight == Decimal("30")


def test_the_check_endpoint_names_unreadable_rows(client_for, city, sheet):
    rows = with_changes(工程验收合格率={"weight": "abc"})
    text = page_text(client_for(city.clerk).post(check_url(sheet), editor_data(rows)))
    assert "第2行：权重须为数字（当前为“abc”）。" in text


# --- adding rows -----------------------------------------------------------------------------


def test_a_library_row_is_prefilled_and_a_free_row_is_blank(client_for, city, sheet):
    template = f.IndicatorTemplateFactory(
        name="义务教育巩固率", level1=Level1.EFFECT, level2=Level2.SOCIAL, unit="%", suggested_value="95"
    )
    client = client_for(city.clerk)
    url = reverse("targets:sheet_row", args=[sheet.pk])
    page = client.get(url, {"template": template.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert 'value="义务教育巩固率"' in page and 'value="95"' in page and 'value="%"' in page
    assert f'value="{template.pk}"' in page and '<option value="social" selected>' in page
    assert "取自指标库" in page and "<html" not in page
    blank = client.get(url, {"period": "whole"}).content.decode()
    assert 'value="whole"' in blank and "取自指标库" not in blank
    # A proposal is not in the library yet; junk ids are 404, not 500.
    proposal = f.IndicatorTemplateFactory(status=TemplateStatus.PROPOSED, proposed_by=city.dept_a)
    assert client.get(url, {"template": proposal.pk}).status_code == 404
    assert client.get(url, {"template": "1 OR 1=1"}).status_code == 404


def test_a_row_added_from_the_library_keeps_its_template_link(client_for, city, sheet):
    template = f.IndicatorTemplateFactory(name="学位新增数", level1=Level1.OUTPUT, level2=Level2.QUANTITY)
    rows = [*f.VALID_ROWS, {"level2": Level2.QUANTITY, "name": "学位新增数", "comparator": Comparator.GTE,
                            "target_value": "1", "unit": "个", "weight": "0", "template": str(template.pk)}]
    client_for(city.clerk).post(edit_url(sheet), editor_data(rows))
    assert sheet.indicators.get(name="学位新增数").template == template


def test_library_search_finds_confirmed_templates_by_name_and_field(client_for, city, sheet):
    f.IndicatorTemplateFactory(name="学生资助覆盖率", field="education", scope="field")
    f.IndicatorTemplateFactory(name="门诊满意度", field="health", scope="field")
    f.IndicatorTemplateFactory(name="学生体质达标率", status=TemplateStatus.PROPOSED, proposed_by=city.dept_b)
    client = client_for(city.clerk)
    url = reverse("targets:library_search")
    page = client.get(url, {"q": "学生", "sheet": sheet.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "学生资助覆盖率" in page and "学生体质达标率" not in page and "门诊满意度" not in page
    assert f'hx-get="{reverse("targets:sheet_row", args=[sheet.pk])}?template=' in page
    assert "学生资助覆盖率" in client.get(url, {"q": "教育"}).content.decode()  # by field
    assert "门诊满意度" in client.get(url, {"q": "卫生健康"}).content.decode()
    assert "没有与“无此指标”匹配" in page_text(client.get(url, {"q": "无此指标"}))
    assert client.get(url).content.decode().strip() == ""


# --- who may edit ----------------------------------------------------------------------------


def test_an_approved_sheet_is_refused_with_the_lock_message(client_for, city, sheet):
    TargetSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.APPROVED)
    client = client_for(city.clerk)
    for response in (
        client.get(edit_url(sheet)),
        client.post(edit_url(sheet), editor_data(with_changes(新建教室数量={"weight": "1"}))),
        client.post(check_url(sheet), editor_data(f.VALID_ROWS)),
        client.get(reverse("targets:sheet_row", args=[sheet.pk])),
    ):
        assert response.status_code == 403
        assert LOCKED_MESSAGE in response.content.decode()
    assert sheet.indicators.get(name="新建教室数量").weight == Decimal("30")
    assert AuditEvent.objects.filter(kind="permission_denied", object_id=str(sheet.pk)).exists()


def test_a_sheet_under_review_is_not_editable_and_a_returned_one_is(client_for, city, sheet):
    TargetSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.DEPT_REVIEW)
    response = client_for(city.clerk).get(edit_url(sheet))
    assert response.status_code == 403 and "当前状态为“主管部门审核中”，不能修改" in response.content.decode()
    TargetSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.RETURNED)
    assert client_for(city.clerk).get(edit_url(sheet)).status_code == 200


def test_the_department_reviewer_reads_but_does_not_write(client_for, city, sheet):
    response = client_for(city.reviewer).post(edit_url(sheet), editor_data(f.VALID_ROWS, overall_goal="改"))
    assert response.status_code == 403 and "绩效目标由项目单位填报" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.overall_goal != "改"
