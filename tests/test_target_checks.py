"""Every check of a target sheet (issue 3 item 3; DESIGN §2.3, §2.8) with the message the clerk
reads in the editor's live check, and — for the blocking ones — the refusal at submit. The
per-year rules (weight split, too-low margin) change the answers when the year changes them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from projects.choices import Conclusion, PreAssessmentStatus
from projects.models import FiscalYear, Project
from targets.choices import Comparator, Level1, Level2, SheetStatus
from targets.models import TargetSheet

from . import factories as f
from .test_target_editor import editor_data, page_text, with_changes

NO_PREASSESSMENT = "该项目须先完成事前绩效评估，且结论为“予以支持”或“调整后支持”后方可继续。"


@pytest.fixture
def sheet(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="校舍改造工程")
    return f.TargetSheetFactory(project=project, rows=True)


def live_check(client_for, city, sheet, rows, **data) -> str:
    """What the editor's check panel says for ``rows`` (nothing is saved)."""
    url = reverse("targets:sheet_check", args=[sheet.pk])
    response = client_for(city.clerk).post(url, editor_data(rows, **data), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return page_text(response)


def without(*names) -> list[dict]:
    return [row for row in f.VALID_ROWS if row["name"] not in names]


def test_the_valid_table_passes_every_check(client_for, city, sheet):
    text = live_check(client_for, city, sheet, f.VALID_ROWS)
    assert "各项校验均已通过" in text and "可以提交" in text


# --- indicator kinds -------------------------------------------------------------------------


def test_an_output_indicator_is_required(client_for, city, sheet):
    text = live_check(client_for, city, sheet, without("新建教室数量", "工程验收合格率"))
    assert "至少需要 1 个产出指标。" in text


def test_an_effect_indicator_is_required(client_for, city, sheet):
    text = live_check(client_for, city, sheet, without("新增学位数"))
    assert "至少需要 1 个效益指标。" in text and "至少需要 1 个产出指标" not in text


@pytest.mark.parametrize("serves_public", [True, False])
def test_a_satisfaction_indicator_is_required_where_the_project_serves_the_public(
    client_for, city, sheet, serves_public
):
    Project.objects.filter(pk=sheet.project.pk).update(serves_public=serves_public)
    text = live_check(client_for, city, sheet, without("学生家长满意度"))
    assert ("该项目面向社会公众提供服务，须设置满意度指标。" in text) == serves_public


def test_without_a_satisfaction_indicator_its_weight_goes_to_the_effect_indicators(client_for, city, sheet):
    Project.objects.filter(pk=sheet.project.pk).update(serves_public=False)
    rows = [
        {**row, "weight": "40"} if row["name"] == "新增学位数" else row for row in without("学生家长满意度")
    ]
    text = live_check(client_for, city, sheet, rows)
    assert "各项校验均已通过" in text
    text = live_check(client_for, city, sheet, without("学生家长满意度"))
    assert "效益指标权重合计应为 40，当前为 30。" in text


# --- weights ---------------------------------------------------------------------------------


def test_weights_must_sum_to_90(client_for, city, sheet):
    text = live_check(client_for, city, sheet, with_changes(新建教室数量={"weight": "25"}))
    assert "指标权重合计应为 90，当前为 85。" in text


def test_the_level_split_is_the_years_rule(client_for, city, sheet):
    # 60 / 20 / 10: the total is right, the split of the default year (50/30/10) is not.
    rows = with_changes(新建教室数量={"weight": "40"}, 新增学位数={"weight": "20"})
    text = live_check(client_for, city, sheet, rows)
    assert "产出指标权重合计应为 50，当前为 60。" in text and "效益指标权重合计应为 30，当前为 20。" in text
    assert "指标权重合计应为 90" not in text

    # A year that splits 60/20/10 accepts the same table and refuses the default one.
    FiscalYear.objects.filter(pk=city.year.pk).update(weight_output=60, weight_effect=20)
    text = live_check(client_for, city, sheet, rows)
    assert "各项校验均已通过" in text
    text = live_check(client_for, city, sheet, f.VALID_ROWS)
    assert "产出指标权重合计应为 60，当前为 50。" in text and "效益指标权重合计应为 20，当前为 30。" in text


def test_a_year_with_another_total_changes_the_total_rule(client_for, city, sheet):
    FiscalYear.objects.filter(pk=city.year.pk).update(weight_satisfaction=20)
    text = live_check(client_for, city, sheet, f.VALID_ROWS)
    assert "指标权重合计应为 100，当前为 90。" in text and "满意度指标权重合计应为 20，当前为 10。" in text


# --- quantitative rows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"comparator": ""}, "第1行：请选择比较方式。"),
        ({"target_value": ""}, "第1行「新建教室数量」：定量指标须填写数值型指标值。"),
        ({"unit": ""}, "第1行「新建教室数量」：定量指标须填写计量单位。"),
        ({"name": ""}, "第1行「未命名」：请填写三级指标名称。"),
        ({"weight": "0"}, "第1行「新建教室数量」：权重须大于 0。"),
        ({"comparator": Comparator.QUALITATIVE, "target_text": ""},
         "第1行「新建教室数量」：定性指标须填写指标值（如“达到”“显著提升”）。"),
    ],
)
def test_every_quantitative_row_has_a_comparator_a_number_and_a_unit(client_for, city, sheet, change, message):
    text = live_check(client_for, city, sheet, with_changes(新建教室数量=change))
    assert message in text


def test_a_qualitative_row_needs_no_number_or_unit(client_for, city, sheet):
    rows = with_changes(工程验收合格率={"comparator": Comparator.QUALITATIVE, "target_text": "合格",
                                    "target_value": "", "unit": ""})
    assert "各项校验均已通过" in live_check(client_for, city, sheet, rows)


# --- goals -----------------------------------------------------------------------------------


def test_goals_are_required_and_multi_year_projects_need_the_whole_period_goal(client_for, city, sheet):
    text = live_check(client_for, city, sheet, f.VALID_ROWS, overall_goal=" ")
    assert "请填写年度总体目标。" in text
    Project.objects.filter(pk=sheet.project.pk).update(period_end="2028-12-31")
    text = live_check(client_for, city, sheet, f.VALID_ROWS)
    assert "实施期超过一年的项目须填写实施期总目标。" in text
    assert "各项校验均已通过" in live_check(client_for, city, sheet, f.VALID_ROWS, whole_period_goal="三年建成")


# --- the pre-assessment gate -----------------------------------------------------------------


def test_a_project_that_needs_a_preassessment_must_have_one_concluded_with_support(client_for, city, project):
    sheet = f.TargetSheetFactory(project=project, rows=True)  # new, 600万元: needs one
    assert NO_PREASSESSMENT in live_check(client_for, city, sheet, f.VALID_ROWS)

    pa = f.PreAssessmentFactory(project=project, dimensions=True, status=PreAssessmentStatus.FINANCE_REVIEW)
    assert NO_PREASSESSMENT in live_check(client_for, city, sheet, f.VALID_ROWS)

    type(pa).objects.filter(pk=pa.pk).update(status=PreAssessmentStatus.CONCLUDED, conclusion=Conclusion.REJECT)
    text = live_check(client_for, city, sheet, f.VALID_ROWS)
    assert "该项目事前绩效评估结论为“不予支持”，不能继续申报。" in text

    type(pa).objects.filter(pk=pa.pk).update(conclusion=Conclusion.SUPPORT_AFTER_ADJUSTMENT)
    assert "各项校验均已通过" in live_check(client_for, city, sheet, f.VALID_ROWS)


# --- set too low (a flag for reviewers, not a block) ----------------------------------------

COST_ROW = {"level1": Level1.OUTPUT, "level2": Level2.COST, "name": "生均改造成本", "comparator": Comparator.LTE,
            "target_value": "100", "unit": "元", "weight": "5"}


def too_low_rows(gte_actual="", lte_actual=""):
    """VALID_ROWS plus a ≤ cost row (output weights still 50), with last year's actuals."""
    rows = with_changes(新建教室数量={"weight": "25", "last_year_actual": gte_actual})
    return [*rows[:2], {**COST_ROW, "last_year_actual": lte_actual}, *rows[2:]]


GTE_FLAG = "第1行「新建教室数量」：目标偏低：上年实际值 24 已超过目标值 20% 以上，请复核。"
LTE_FLAG = "第3行「生均改造成本」：目标偏低：上年实际值 80 已优于目标值 20% 以上，请复核。"


def test_a_target_last_years_actual_beat_by_20_percent_is_flagged(client_for, city, sheet):
    # ≥ 20 and last year 24 (= +20 %); ≤ 100 and last year 80 (= −20 %): both flagged.
    text = live_check(client_for, city, sheet, too_low_rows(gte_actual="24", lte_actual="80"))
    assert GTE_FLAG in text and LTE_FLAG in text
    assert "可以提交" in text  # a flag, not a block

    # Just under the margin on both sides: no flag.
    text = live_check(client_for, city, sheet, too_low_rows(gte_actual="23.9", lte_actual="80.1"))
    assert "目标偏低" not in text and "各项校验均已通过" in text


def test_the_too_low_margin_is_the_years_rule(client_for, city, sheet):
    FiscalYear.objects.filter(pk=city.year.pk).update(target_too_low_pct=30)
    text = live_check(client_for, city, sheet, too_low_rows(gte_actual="24", lte_actual="80"))
    assert "目标偏低" not in text
    text = live_check(client_for, city, sheet, too_low_rows(gte_actual="26", lte_actual="70"))
    assert "上年实际值 26 已超过目标值 30% 以上" in text and "上年实际值 70 已优于目标值 30% 以上" in text


def test_reviewers_see_the_flag_on_the_sheet_and_in_the_list(client_for, city, sheet):
    client_for(city.clerk).post(reverse("targets:sheet_edit", args=[sheet.pk]), editor_data(too_low_rows("24", "80")))
    TargetSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.DEPT_REVIEW)
    other = f.TargetSheetFactory(project__fiscal_year=city.year, project__unit=city.unit_a2, rows=True)
    reviewer = client_for(city.reviewer)

    page = reviewer.get(sheet.get_absolute_url()).content.decode()
    assert page.count('<tr class="table-warning">') == 2
    assert GTE_FLAG.split("：", 1)[1] in page_text(reviewer.get(sheet.get_absolute_url()))

    listed = page_text(reviewer.get(reverse("targets:sheet_list"), {"flagged": "true"}))
    assert sheet.project.name in listed and other.project.name not in listed and "目标偏低" in listed


# --- the same checks refuse a submit ---------------------------------------------------------


def test_a_submit_with_blocking_problems_is_refused_with_their_messages(client_for, city, sheet):
    client = client_for(city.clerk)
    rows = with_changes(新建教室数量={"weight": "25"})
    client.post(reverse("targets:sheet_edit", args=[sheet.pk]), editor_data(rows))
    url = reverse("targets:sheet_transition", args=[sheet.pk, "submit"])
    text = page_text(client.post(url, follow=True))
    assert "指标权重合计应为 90，当前为 85" in text and "产出指标权重合计应为 50，当前为 45" in text
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DRAFT
    # The sheet page says so before she tries.
    assert "尚有 2 个问题须处理后才能提交" in page_text(client.get(sheet.get_absolute_url()))
    assert sheet.indicators.get(name="新建教室数量").weight == Decimal("25")
