"""The journey of issue 2 in a real browser: a unit clerk enters a new 600万元 project, cannot send
it forward before its pre-assessment, fills the five dimensions; the department reviewer returns it
with an opinion, then passes it after the fix; the performance office concludes 予以支持; the
project shows it and the full review history, and now goes forward.

The same journey through the Django test client is
tests/test_preassessment_pages.py::test_the_journey_from_a_new_project_to_a_supported_conclusion;
this one asserts what a person sees, clicking through the pages (htmx buttons included).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from projects.choices import Dimension
from projects.models import Project

# serialized_rollback: later transactional tests still find the role groups and the calendar.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RESULTS = Path(__file__).resolve().parents[2] / "test-results"

CODE = "XM-WEB-001"
NAME = "智慧校园建设项目"
RETURN_OPINION = "投入经济性论证不足，请补充测算依据"
CONCLUSION_OPINION = "必要性充分，测算依据已补充，予以支持"


# --- what a person does on the pages --------------------------------------------------------------


def open_inbox_item(page, label: str):
    """From 我的待办, follow an item (e.g. “事前绩效评估待审核”) to the one row it lists."""
    page.get_by_role("link", name="我的待办").click()
    expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
    item = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=label, exact=True))
    expect(item).to_have_text(re.compile(rf"^\s*{label}\s*1\s*$"))  # exactly one waits
    item.get_by_role("link", name=label, exact=True).click()
    page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"事前绩效评估：{NAME}")


def act(page, button: str, opinion: str = ""):
    """Type the opinion in the 办理 panel and press one of its buttons."""
    panel = page.locator("#workflow-actions")
    if opinion:
        panel.get_by_label(re.compile("^意见")).fill(opinion)
    panel.get_by_role("button", name=button, exact=True).click()


def snap(page, name: str):
    """A full-page screenshot in test-results/ (git-ignored) for a person to look at."""
    RESULTS.mkdir(exist_ok=True)
    page.evaluate('window.scrollTo({top: 0, behavior: "instant"})')  # a sticky navbar mid-image else
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


def heading(page):
    return page.get_by_role("heading", level=1)


def card(page, header: str):
    """The Bootstrap card whose header reads ``header``."""
    return page.locator(".card").filter(has=page.locator(".card-header").get_by_text(header, exact=True))


def flash(page, text: str):
    return page.get_by_role("alert").filter(has_text=text)


def fill_dimensions(page, scores: dict[str, tuple[str, str]]):
    for label, (score, opinion) in scores.items():
        page.get_by_label(label, exact=True).fill(score)
        page.get_by_label(f"{label}意见").fill(opinion)


# --- the journey --------------------------------------------------------------------------------


def test_a_new_project_goes_forward_only_after_its_preassessment_concludes_with_support(page, login, city):
    page.on("dialog", lambda dialog: dialog.accept())  # forms with data-confirm ask first
    problems = []  # script errors and refused resources (CSP) on any page of the journey
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))

    # 1. The clerk enters a new project of 600万元 in the project library.
    login(city.clerk)
    page.get_by_role("link", name="项目库").click()
    expect(heading(page)).to_have_text("项目库")
    page.get_by_role("link", name="新建项目").click()
    expect(heading(page)).to_have_text("新建项目")
    expect(page.get_by_label("实施单位")).to_have_value(str(city.unit_a1.pk))  # her own unit by default
    page.get_by_label("项目编码").fill(CODE)
    page.get_by_label("项目名称").fill(NAME)
    page.get_by_label("项目责任人").fill("王老师")
    page.get_by_label("预算金额（万元）").fill("600")
    page.get_by_label("实施期起").fill("2026-01-01")
    page.get_by_label("实施期止").fill("2026-12-31")
    page.get_by_label("预算类型").select_option(label="一般公共预算")
    page.get_by_label("项目类别").select_option(label="项目支出")
    page.get_by_label("新增项目").check()
    page.get_by_role("button", name="保存").click()

    expect(flash(page, f"已保存项目：{CODE} {NAME}")).to_be_visible()
    expect(heading(page)).to_contain_text(NAME)
    expect(heading(page)).to_contain_text("草稿")
    info = card(page, "项目信息")
    expect(info).to_contain_text(CODE)
    expect(info).to_contain_text("600.00 万元")
    expect(info).to_contain_text("示例市第一中学")
    expect(page.get_by_text("须开展", exact=True)).to_be_visible()

    # 2. 申报 is refused until the pre-assessment concludes with support; the page says why.
    gate = Project.objects.get(code=CODE).preassessment_gate()[1]
    assert "须先完成事前绩效评估" in gate
    panel = page.locator("#workflow-actions")
    expect(panel.get_by_role("alert").filter(has_text=gate).first).to_be_visible()  # told before trying
    act(page, "申报")
    expect(panel.locator(".alert-danger")).to_have_text(gate)  # and told again when she tries
    expect(heading(page)).to_contain_text("草稿")
    snap(page, "preassessment_journey_1_refused")
    page.reload()
    expect(heading(page)).to_contain_text("草稿")

    # 3. She starts the pre-assessment, fills the five dimensions, saves and submits.
    page.get_by_role("button", name="发起事前绩效评估").click()
    expect(flash(page, "已发起事前绩效评估")).to_be_visible()
    expect(heading(page)).to_have_text(f"填写事前绩效评估：{NAME}")
    scores = {d.label: ("16", f"{d.label}论证充分") for d in Dimension}
    scores[Dimension.ECONOMY.label] = ("12", "按同类项目估算")
    fill_dimensions(page, scores)
    page.get_by_label("评估综述").fill("项目总体可行")
    snap(page, "preassessment_journey_2_form")
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "五个维度均已填写")).to_be_visible()
    expect(heading(page)).to_contain_text("填报中")
    table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="评估维度"))
    expect(table.get_by_role("row").filter(has_text="投入经济性")).to_contain_text("按同类项目估算")
    expect(table.get_by_role("row").filter(has_text="总分")).to_contain_text("76.00")
    act(page, "提交审核", "请审核")
    expect(flash(page, "已提交")).to_be_visible()
    expect(heading(page)).to_contain_text("主管部门审核中")
    expect(page.locator("#workflow-actions")).to_contain_text("当前没有您可办理的操作")

    # 4. The department reviewer finds it in 我的待办 and returns it with an opinion.
    login(city.reviewer)
    open_inbox_item(page, "事前绩效评估待审核")
    expect(heading(page)).to_contain_text("主管部门审核中")
    act(page, "退回")  # without an opinion: refused in place, nothing changes
    expect(page.locator("#workflow-actions").get_by_role("alert")).to_contain_text("须填写意见")
    expect(heading(page)).to_contain_text("主管部门审核中")
    act(page, "退回", RETURN_OPINION)
    expect(flash(page, "已退回")).to_be_visible()
    expect(heading(page)).to_contain_text("已退回")

    # 5. The clerk sees it returned with the opinion, fixes the dimension and resubmits.
    login(city.clerk)
    open_inbox_item(page, "事前绩效评估被退回")
    expect(heading(page)).to_contain_text("已退回")
    expect(history_rows(page).last).to_contain_text(RETURN_OPINION)
    snap(page, "preassessment_journey_3_returned")
    page.get_by_role("link", name="填写评估").click()
    expect(page.get_by_label(Dimension.ECONOMY.label, exact=True)).to_have_value("12")
    fill_dimensions(page, {Dimension.ECONOMY.label: ("17", "已补充单价测算依据：设备 420 万元，平台 180 万元")})
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "五个维度均已填写")).to_be_visible()
    table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="评估维度"))
    expect(table.get_by_role("row").filter(has_text="投入经济性")).to_contain_text("已补充单价测算依据")
    expect(table.get_by_role("row").filter(has_text="总分")).to_contain_text("81.00")
    act(page, "提交审核")
    expect(flash(page, "已提交")).to_be_visible()
    expect(heading(page)).to_contain_text("主管部门审核中")

    # 6. The reviewer passes it.
    login(city.reviewer)
    open_inbox_item(page, "事前绩效评估待审核")
    act(page, "审核通过", "同意")
    expect(flash(page, "已通过")).to_be_visible()
    expect(heading(page)).to_contain_text("财政审核中")

    # 7. The performance office concludes 予以支持.
    login(city.office)
    open_inbox_item(page, "事前绩效评估待出具结论")
    page.get_by_label("予以支持").check()
    page.locator("#workflow-actions").get_by_label(re.compile("^意见")).fill(CONCLUSION_OPINION)
    snap(page, "preassessment_journey_4_conclude")
    act(page, "出具结论")
    expect(flash(page, "已出具结论")).to_be_visible()
    expect(heading(page)).to_contain_text("已出结论")
    expect(heading(page)).to_contain_text("予以支持")

    # 8. The clerk opens the project: the pre-assessment passed, the full history, and 申报 succeeds.
    login(city.clerk)
    page.get_by_role("link", name="项目库").click()
    page.get_by_role("link", name=NAME).click()
    expect(heading(page)).to_contain_text(NAME)
    pa_card = card(page, "事前绩效评估")
    expect(pa_card.get_by_text("已出结论", exact=True)).to_be_visible()
    expect(pa_card.get_by_text("予以支持", exact=True)).to_be_visible()
    expect(pa_card).to_contain_text("81.00")
    expect(page.locator("#workflow-actions").get_by_role("alert")).to_have_count(0)  # no longer blocked

    clerk, reviewer, office = str(city.clerk), str(city.reviewer), str(city.office)
    unit, dept, perf = Role.UNIT_STAFF.label, Role.DEPT_REVIEWER.label, Role.PERFORMANCE_OFFICE.label
    expected = [
        # (事项, 处理人, 角色, 处理结果, 意见)
        ("事前绩效评估", clerk, unit, "提交", "请审核"),
        ("事前绩效评估", reviewer, dept, "退回", RETURN_OPINION),
        ("事前绩效评估", clerk, unit, "提交", ""),
        ("事前绩效评估", reviewer, dept, "通过", "同意"),
        ("事前绩效评估", office, perf, "出具结论", CONCLUSION_OPINION),
    ]
    assert_history(page, expected)

    act(page, "申报", "请主管部门审核")
    expect(flash(page, "已提交")).to_be_visible()
    expect(heading(page)).to_contain_text("主管部门审核中")
    assert_history(page, [*expected, ("项目申报", clerk, unit, "提交", "请主管部门审核")])

    snap(page, "preassessment_journey")
    assert problems == []


def history_rows(page):
    table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="处理人"))
    return table.locator("tbody").get_by_role("row")


def assert_history(page, expected):
    rows = history_rows(page)
    expect(rows).to_have_count(len(expected))
    for index, (chain, actor, role, decision, opinion) in enumerate(expected):
        cells = rows.nth(index).get_by_role("cell")
        expect(cells.nth(1)).to_have_text(chain)
        expect(cells.nth(3)).to_have_text(actor)
        expect(cells.nth(4)).to_have_text(role)
        expect(cells.nth(5)).to_have_text(decision)
        expect(cells.nth(6)).to_have_text(opinion)
