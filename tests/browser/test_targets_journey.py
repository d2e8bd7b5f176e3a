"""The journey of issue 3 in a real browser: a unit clerk builds a project's target sheet from the
indicator library (8 rows), is told the weights do not add up, fixes them and submits; the
department returns it with an opinion; after the fix the department, the finance business office
and the performance office approve; the sheet is locked (the editor refuses, 403); an adjustment
runs through the same chain and becomes version 2, with a diff against version 1.

The same journey through the Django test client is
tests/test_target_pages.py::test_the_journey_from_the_project_page_to_an_adjusted_second_version;
this one asserts what a person sees, clicking through the pages (htmx editor and buttons included).
"""

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from targets.choices import Comparator, IndustryField, Level1, Level2, TemplateScope, TemplateStatus
from targets.models import LOCKED_MESSAGE, TargetSheet
from tests import factories as f

# serialized_rollback: later transactional tests still find the role groups and the calendar.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RESULTS = Path(__file__).resolve().parents[2] / "test-results"

CODE = "XM-TGT-001"
NAME = "智慧校园信息化建设项目"
GOAL = "完成 20 间标准化教室和 120 台多媒体教学设备建设，新增学位 900 个，学生家长满意度达到 90% 以上。"
RETURN_OPINION = "学生家长满意度目标偏低，请提高到 95%"
ADJUST_REASON = "经区政府批准秋季扩招，新增学位数调增至 960 个"

# The library: (name, level 1, level 2, comparator, unit, suggested value, field). Two are never picked.
LIBRARY = [
    ("新建标准化教室数量", Level1.OUTPUT, Level2.QUANTITY, Comparator.GTE, "间", "20", IndustryField.EDUCATION),
    ("采购多媒体教学设备数量", Level1.OUTPUT, Level2.QUANTITY, Comparator.GTE, "台", "100", IndustryField.EDUCATION),
    ("工程验收合格率", Level1.OUTPUT, Level2.QUALITY, Comparator.GTE, "%", "100", IndustryField.GENERAL),
    ("项目按期完工率", Level1.OUTPUT, Level2.TIMELINESS, Comparator.GTE, "%", "100", IndustryField.GENERAL),
    ("生均设备购置成本", Level1.OUTPUT, Level2.COST, Comparator.LTE, "元", "3500", IndustryField.EDUCATION),
    ("新增学位数", Level1.EFFECT, Level2.SOCIAL, Comparator.GTE, "个", "", IndustryField.EDUCATION),
    ("信息化教学课时占比", Level1.EFFECT, Level2.SOCIAL, Comparator.GTE, "%", "60", IndustryField.EDUCATION),
    ("设施设备正常使用年限", Level1.EFFECT, Level2.SUSTAINABILITY, Comparator.GTE, "年", "8", IndustryField.GENERAL),
    (
        "学生家长满意度",
        Level1.SATISFACTION,
        Level2.SERVICE_SATISFACTION,
        Comparator.GTE,
        "%",
        "90",
        IndustryField.EDUCATION,
    ),
    (
        "教职工满意度",
        Level1.SATISFACTION,
        Level2.SERVICE_SATISFACTION,
        Comparator.GTE,
        "%",
        "85",
        IndustryField.EDUCATION,
    ),
]

# What she searches for, and which results she adds from each search (in this order).
SEARCHES = [
    ("教育", ["新建标准化教室数量", "采购多媒体教学设备数量", "新增学位数"]),  # by field
    ("合格率", ["工程验收合格率"]),
    ("按期", ["项目按期完工率"]),
    ("课时", ["信息化教学课时占比"]),
    ("使用年限", ["设施设备正常使用年限"]),
    ("满意度", ["学生家长满意度"]),
]

# The rows as she fills them: (value, unit, weight, last year's actual). 教室 has 20 of weight: one
# too many (产出 55 of 50, 95 of 90 in all); she brings it down to 15.
ROWS = {
    "新建标准化教室数量": ("20", "间", "20", ""),
    "采购多媒体教学设备数量": ("120", "台", "15", "80"),
    "工程验收合格率": ("100", "%", "10", ""),
    "项目按期完工率": ("100", "%", "10", ""),
    "新增学位数": ("900", "个", "10", "850"),
    "信息化教学课时占比": ("60", "%", "10", "45"),
    "设施设备正常使用年限": ("8", "年", "10", ""),
    "学生家长满意度": ("90", "%", "10", "88"),
}


# --- what a person does on the pages --------------------------------------------------------------


def heading(page):
    return page.get_by_role("heading", level=1)


def flash(page, text: str):
    return page.get_by_role("alert").filter(has_text=text)


def snap(page, name: str):
    """A full-page screenshot in test-results/ (git-ignored) for a person to look at."""
    RESULTS.mkdir(exist_ok=True)
    page.evaluate('window.scrollTo({top: 0, behavior: "instant"})')  # a sticky navbar mid-image else
    # The editor's wide table scrolls sideways to the focused field; show it from its first column.
    page.evaluate('document.querySelectorAll(".table-responsive").forEach(e => { e.scrollLeft = 0; })')
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


def act(page, button: str, opinion: str = ""):
    """Type the opinion in the 办理 panel and press one of its buttons."""
    panel = page.locator("#workflow-actions")
    if opinion:
        panel.get_by_label(re.compile("^意见")).fill(opinion)
    panel.get_by_role("button", name=button, exact=True).click()


def open_inbox_item(page, label: str, version: int = 1):
    """From 我的待办, follow an item (e.g. “绩效目标待审核”) to the one sheet it lists."""
    page.get_by_role("link", name="我的待办").click()
    expect(heading(page)).to_have_text("我的待办")
    item = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=label, exact=True))
    expect(item).to_have_text(re.compile(rf"^\s*{label}\s*1\s*$"))  # exactly one waits
    item.get_by_role("link", name=label, exact=True).click()
    expect(heading(page)).to_have_text("绩效目标表")
    page.get_by_role("link", name=NAME).click()
    expect(heading(page)).to_contain_text(f"{NAME} · 绩效目标表 第{version}版")


def editor_row(page, name: str):
    """The editor row whose 三级指标名称 is ``name`` (as the page rendered it)."""
    return page.locator("#rows-year tr.editor-row").filter(has=page.locator(f'input.row-name[value="{name}"]'))


def live_check(page, field=None, value: str = ""):
    """Wait for the editor's live check (its htmx POST on change) caused by the next action; with
    ``field``, for the check that carries ``value`` in that field, i.e. the one after the last edit.

    Waiting keeps one request at a time: the next step never races a check still under way (the
    in-memory SQLite of the live server takes one request at a time, and a check cut short by a
    newer one or by leaving the page is noise in the console)."""
    wanted = f"&{urlencode({field.get_attribute('name'): value})}&" if field is not None else ""
    return page.expect_response(lambda r: r.url.endswith("/edit/check/") and wanted in f"&{r.request.post_data or ''}&")


def type_in(page, field, value: str):
    """Type ``value`` and leave the field (Tab), as a person does: the change runs the live check."""
    with live_check(page, field, value) as check:
        field.fill(value)
        page.keyboard.press("Tab")
    assert check.value.ok


def fill_row(page, name: str, value: str, unit: str, weight: str, last_year: str):
    row = editor_row(page, name)
    row.get_by_label("指标值", exact=True).fill(value)
    row.get_by_label("计量单位", exact=True).fill(unit)
    row.get_by_label("上年实际值", exact=True).fill(last_year)
    type_in(page, row.get_by_label("权重", exact=True), weight)  # last: it always changes


def check_panel(page):
    return page.locator("#sheet-check")


def weight_total(page, label: str):
    return check_panel(page).locator(f'tr[data-weight="{label}"] .weight-actual')


def history_rows(page):
    table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="处理人"))
    return table.locator("tbody").get_by_role("row")


def assert_history(page, expected):
    rows = history_rows(page)
    expect(rows).to_have_count(len(expected))
    for index, (actor, role, decision, opinion) in enumerate(expected):
        cells = rows.nth(index).get_by_role("cell")
        expect(cells.nth(1)).to_have_text("绩效目标审核")
        expect(cells.nth(3)).to_have_text(actor)
        expect(cells.nth(4)).to_have_text(role)
        expect(cells.nth(5)).to_have_text(decision)
        expect(cells.nth(6)).to_have_text(opinion)


def review_through(page, login, city, version: int, opinions: tuple[str, str, str]):
    """Department 审核通过, finance business office 审核通过, performance office 批复."""
    dept, finance, office = opinions
    login(city.reviewer)
    open_inbox_item(page, "绩效目标待审核", version)
    expect(heading(page)).to_contain_text("主管部门审核中")
    act(page, "审核通过", dept)
    expect(flash(page, f"已通过：{NAME}·绩效目标 v{version}")).to_be_visible()
    expect(heading(page)).to_contain_text("财政业务科室审核中")

    login(city.finance)
    open_inbox_item(page, "绩效目标待审核", version)
    expect(page.locator("#workflow-actions").get_by_role("button", name="批复")).to_have_count(0)  # not her step
    act(page, "审核通过", finance)
    expect(flash(page, f"已通过：{NAME}·绩效目标 v{version}")).to_be_visible()
    expect(heading(page)).to_contain_text("绩效管理科审核中")

    login(city.office)
    open_inbox_item(page, "绩效目标待批复", version)
    act(page, "批复", office)
    expect(flash(page, f"已批复：{NAME}·绩效目标 v{version}")).to_be_visible()
    expect(page.locator("#sheet-status")).to_have_text("已批复")
    expect(heading(page)).to_contain_text("已锁定")


def without_aborted_checks(problems: list[str]) -> list[str]:
    """htmx logs a request it cancels (hx-sync="this:replace": a newer live check replaces one
    still under way, which a slow machine can cause while typing) as two console errors,
    htmx:sendAbort and its htmx:afterRequest. Harmless: drop those pairs, keep everything else."""
    aborts = sum(1 for p in problems if p.startswith("htmx:sendAbort"))
    kept = []
    for p in problems:
        if p.startswith("htmx:sendAbort"):
            continue
        if aborts and p.startswith("htmx:afterRequest"):
            aborts -= 1
            continue
        kept.append(p)
    return kept


# --- the journey --------------------------------------------------------------------------------


@pytest.fixture
def library(city):
    for code, (name, level1, level2, comparator, unit, value, field) in enumerate(LIBRARY, start=1):
        f.IndicatorTemplateFactory(
            code=f"JY{code:03d}",
            name=name,
            level1=level1,
            level2=level2,
            comparator=comparator,
            unit=unit,
            suggested_value=value,
            field=field,
            scope=TemplateScope.COMMON if field == IndustryField.GENERAL else TemplateScope.FIELD,
            data_source="学校年度统计报表",
            status=TemplateStatus.CONFIRMED,
        )


def test_a_sheet_built_from_the_library_is_approved_locked_and_adjusted_into_version_2(page, login, city, library):
    page.on("dialog", lambda dialog: dialog.accept())  # forms with data-confirm ask first
    problems = []  # script errors, refused resources (CSP) and server errors on any page of the journey
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} {r.request.method} {r.url}"))
    # A continuing project: no pre-assessment is needed before its targets go forward.
    project = f.ProjectFactory(
        fiscal_year=city.year, unit=city.unit_a1, code=CODE, name=NAME, is_new=False, budget_amount=Decimal("3000000")
    )

    # 1. The clerk opens the project and starts its target sheet.
    login(city.clerk)
    page.get_by_role("link", name="项目库").click()
    page.get_by_role("link", name=NAME).click()
    expect(heading(page)).to_contain_text(NAME)
    page.get_by_role("button", name="填报绩效目标").click()
    expect(flash(page, "已创建绩效目标表，请填写总体目标和绩效指标。")).to_be_visible()
    expect(heading(page)).to_contain_text(f"编辑绩效目标：{NAME}")
    expect(heading(page)).to_contain_text("第1版 · 填报中")
    expect(check_panel(page)).to_contain_text("请填写年度总体目标。")
    with live_check(page) as check:
        page.get_by_label("年度总体目标").fill(GOAL)
        page.keyboard.press("Tab")
    assert check.value.ok
    expect(check_panel(page)).not_to_contain_text("请填写年度总体目标。")

    # 8 rows from the library through the search box (by field, then by name).
    added = 0
    for query, names in SEARCHES:
        page.locator("#library-q").fill(query)
        results = page.locator("#library-results")
        for name in names:
            with live_check(page) as check:  # a new row updates the totals
                results.get_by_role("button", name=f"添加“{name}”到年度指标", exact=True).click()
            assert check.value.ok
            added += 1
            expect(page.locator("#rows-year tr.editor-row")).to_have_count(added)
            expect(editor_row(page, name).get_by_label("三级指标名称")).to_have_value(name)
            expect(editor_row(page, name)).to_contain_text("取自指标库")
        if query == "教育":  # a search by field lists that field's templates, not the common ones
            expect(results.locator(".template-name")).to_have_count(7)
            expect(results).not_to_contain_text("工程验收合格率")
    expect(page.locator("#rows-year .row-number")).to_have_text([str(n) for n in range(1, 9)])
    row = editor_row(page, "学生家长满意度")
    expect(row.get_by_label("一级/二级指标")).to_have_value(Level2.SERVICE_SATISFACTION)
    expect(row.get_by_label("比较方式")).to_have_value(Comparator.GTE)

    for name, values in ROWS.items():
        fill_row(page, name, *values)
    panel = check_panel(page)
    expect(panel).to_contain_text("指标权重合计应为 90，当前为 95。")
    expect(panel).to_contain_text("产出指标权重合计应为 50，当前为 55。")
    expect(panel).to_contain_text("2 个问题须处理")
    expect(weight_total(page, "合计")).to_have_text("95")
    expect(weight_total(page, "产出指标")).to_have_text("55")
    expect(weight_total(page, "效益指标")).to_have_text("30")
    snap(page, "targets_journey_1_weight_error")

    # She saves anyway: a draft keeps its problems, the page names them and submitting waits.
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存草稿。提交前还须处理 2 个问题。")).to_be_visible()
    expect(heading(page)).to_contain_text(f"{NAME} · 绩效目标表 第1版")
    expect(page.locator("#sheet-status")).to_have_text("填报中")
    expect(page.locator("#sheet-check-card")).to_contain_text("指标权重合计应为 90，当前为 95。")
    blocked = page.locator("#workflow-actions").get_by_role("alert")
    expect(blocked).to_contain_text("尚有 2 个问题须处理后才能提交")

    # She fixes the weight in the editor: the panel turns green; saves; submits.
    page.get_by_role("link", name="编辑目标").click()
    expect(page.locator("#rows-year tr.editor-row")).to_have_count(8)  # the rows came back from the database
    expect(page.get_by_label("年度总体目标")).to_have_value(GOAL)
    type_in(page, editor_row(page, "新建标准化教室数量").get_by_label("权重", exact=True), "15")
    expect(panel).to_contain_text("各项校验均已通过。")
    expect(panel).to_contain_text("可以提交")
    expect(weight_total(page, "合计")).to_have_text("90")
    snap(page, "targets_journey_2_checks_passed")
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存，校验通过，可以提交审核。")).to_be_visible()
    table = page.locator(".indicator-table")
    expect(table.locator("tbody tr:not(.subtotal-row)")).to_have_count(8)
    expect(table.locator("tfoot")).to_contain_text("90 / 90")
    expect(table.get_by_role("row").filter(has_text="新增学位数")).to_contain_text("≥900个")
    act(page, "提交审核", "请审核")
    expect(flash(page, f"已提交：{NAME}·绩效目标 v1")).to_be_visible()
    expect(page.locator("#sheet-status")).to_have_text("主管部门审核中")
    expect(page.get_by_role("link", name="编辑目标")).to_have_count(0)
    expect(page.locator("#workflow-actions")).to_contain_text("当前没有您可办理的操作")

    # 2. The department reviewer returns it with an opinion (an opinion is required to return).
    login(city.reviewer)
    open_inbox_item(page, "绩效目标待审核")
    act(page, "退回")
    expect(page.locator("#workflow-actions").get_by_role("alert")).to_contain_text("须填写意见")
    expect(page.locator("#sheet-status")).to_have_text("主管部门审核中")
    act(page, "退回", RETURN_OPINION)
    expect(flash(page, f"已退回：{NAME}·绩效目标 v1")).to_be_visible()
    expect(page.locator("#sheet-status")).to_have_text("已退回")

    # The clerk sees the opinion, raises the satisfaction target and resubmits.
    login(city.clerk)
    open_inbox_item(page, "绩效目标被退回")
    expect(page.locator("#sheet-status")).to_have_text("已退回")
    expect(page.locator("#workflow-actions")).to_contain_text(f"已被{city.reviewer}退回")
    expect(page.locator("#workflow-actions")).to_contain_text(RETURN_OPINION)
    expect(history_rows(page).last).to_contain_text(RETURN_OPINION)
    snap(page, "targets_journey_3_returned")
    page.get_by_role("link", name="编辑目标").click()
    type_in(page, editor_row(page, "学生家长满意度").get_by_label("指标值", exact=True), "95")
    expect(panel).to_contain_text("各项校验均已通过。")
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存，校验通过，可以提交审核。")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="学生家长满意度")).to_contain_text("≥95%")
    act(page, "提交审核", "已按意见修改")
    expect(flash(page, f"已提交：{NAME}·绩效目标 v1")).to_be_visible()
    expect(page.locator("#sheet-status")).to_have_text("主管部门审核中")

    # 3. Department, finance business office and performance office approve.
    review_through(page, login, city, 1, ("同意", "符合年度预算安排", "同意，与预算同步批复"))

    # 4. The clerk opens it from the project: 已批复 and the whole history, in order, with actors.
    login(city.clerk)
    page.get_by_role("link", name="项目库").click()
    page.get_by_role("link", name=NAME).click()
    targets_card = page.locator("#project-targets")
    expect(targets_card).to_contain_text("第1版")
    expect(targets_card).to_contain_text("已批复")
    targets_card.get_by_role("link", name="查看绩效目标").click()
    expect(page.locator("#sheet-status")).to_have_text("已批复")
    expect(heading(page)).to_contain_text("现行版本")
    clerk, reviewer, finance, office = str(city.clerk), str(city.reviewer), str(city.finance), str(city.office)
    unit, dept, fin, perf = (
        Role.UNIT_STAFF.label,
        Role.DEPT_REVIEWER.label,
        Role.FINANCE_REVIEWER.label,
        Role.PERFORMANCE_OFFICE.label,
    )
    v1_history = [
        # (处理人, 角色, 处理结果, 意见)
        (clerk, unit, "提交", "请审核"),
        (reviewer, dept, "退回", RETURN_OPINION),
        (clerk, unit, "提交", "已按意见修改"),
        (reviewer, dept, "通过", "同意"),
        (finance, fin, "通过", "符合年度预算安排"),
        (office, perf, "批复", "同意，与预算同步批复"),
    ]
    assert_history(page, v1_history)
    snap(page, "targets_journey_4_approved")

    # 5. It is locked: no 编辑目标, and the editor's address answers 403 with the lock message.
    expect(page.locator("#lock-note")).to_contain_text(LOCKED_MESSAGE)
    expect(page.get_by_role("link", name="编辑目标")).to_have_count(0)
    v1 = TargetSheet.objects.get(project=project, version=1)
    sheet_url = page.url
    response = page.goto(f"/targets/{v1.pk}/edit/")
    assert response.status == 403
    expect(heading(page)).to_have_text("无权访问")
    expect(page.get_by_text(LOCKED_MESSAGE)).to_be_visible()
    expect(page.locator("main")).to_contain_text("已锁定")
    # The browser reports the 403 document itself as a failed load; that one is expected.
    problems[:] = [p for p in problems if "status of 403" not in p]
    page.goto(sheet_url)

    # 6. She asks for an adjustment, changes one row in version 2 and submits it.
    page.get_by_role("link", name="申请调整").click()
    expect(heading(page)).to_have_text(f"申请调整绩效目标：{NAME}")
    page.get_by_label("调整理由").fill(ADJUST_REASON)
    page.get_by_role("button", name="生成调整版本").click()
    expect(flash(page, "已生成第2版（调整申请），请修改指标后提交审核。")).to_be_visible()
    expect(heading(page)).to_contain_text("第2版 · 填报中")
    expect(page.get_by_text(f"调整申请（调整自第1版）：{ADJUST_REASON}")).to_be_visible()
    expect(page.locator("#rows-year tr.editor-row")).to_have_count(8)  # a copy of version 1
    type_in(page, editor_row(page, "新增学位数").get_by_label("指标值", exact=True), "960")
    expect(panel).to_contain_text("各项校验均已通过。")
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存，校验通过，可以提交审核。")).to_be_visible()
    expect(heading(page)).to_contain_text("调整申请")
    act(page, "提交审核", "请审核调整")
    expect(flash(page, f"已提交：{NAME}·绩效目标 v2")).to_be_visible()
    expect(page.locator("#sheet-status")).to_have_text("主管部门审核中")

    review_through(page, login, city, 2, ("同意调整", "同意", "同意调整，第2版现行有效"))

    # Version 2 is in force and approved; version 1 is superseded; both are listed.
    expect(heading(page)).to_contain_text("现行版本")
    versions = page.locator(".card").filter(has=page.locator(".card-header").get_by_text("版本", exact=True))
    items = versions.get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("第1版")
    expect(items.nth(0)).to_contain_text("已被调整替代")
    expect(items.nth(0)).not_to_contain_text("现行")
    expect(items.nth(1)).to_contain_text("第2版")
    expect(items.nth(1)).to_contain_text("已批复")
    expect(items.nth(1)).to_contain_text("现行")
    expect(page.locator(".indicator-table").get_by_role("row").filter(has_text="新增学位数")).to_contain_text("≥960个")
    assert_history(
        page,
        [
            (clerk, unit, "提交", "请审核调整"),
            (reviewer, dept, "通过", "同意调整"),
            (finance, fin, "通过", "同意"),
            (office, perf, "批复", "同意调整，第2版现行有效"),
        ],
    )
    snap(page, "targets_journey_5_version_2")

    # The diff: the one changed row, old → new.
    items.nth(1).get_by_role("link", name="与第1版对比").click()
    expect(heading(page)).to_contain_text(f"版本对比：{NAME}")
    expect(heading(page)).to_contain_text("第1版 → 第2版")
    summary = page.locator("#diff-summary")
    expect(summary).to_contain_text("新增 0 行")
    expect(summary).to_contain_text("删除 0 行")
    expect(summary).to_contain_text("修改 1 行")
    expect(page.get_by_text(f"调整理由：{ADJUST_REASON}")).to_be_visible()
    diff = page.locator(".diff-table")
    expect(diff).to_contain_text("第1版（已被调整替代）")
    expect(diff).to_contain_text("第2版（已批复）")
    changed = diff.locator("tr.diff-changed")
    expect(changed).to_have_count(1)
    level = re.compile(r"^年度指标\s*效益指标 / 社会效益指标$")  # two lines in the cell
    expect(changed.get_by_role("cell")).to_have_text(
        [level, "新增学位数", "≥900个", "10", level, "新增学位数", "≥960个", "10"]
    )
    expect(diff.locator("tr.diff-changes")).to_have_text("指标值：≥900个 → ≥960个")
    expect(diff.locator("tr.diff-same")).to_have_count(7)
    snap(page, "targets_journey")

    # Version 1 stays readable, marked as replaced.
    page.get_by_role("link", name="查看第1版").click()
    expect(page.locator("#sheet-status")).to_have_text("已被调整替代")
    expect(page.locator("#lock-note")).to_contain_text("本版本已被调整后的新版本替代，仅供查阅。")
    expect(page.get_by_role("link", name="申请调整")).to_have_count(0)
    assert_history(page, v1_history)

    assert without_aborted_checks(problems) == []
